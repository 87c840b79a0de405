using Microsoft.Extensions.Time.Testing;

namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>
/// One host's view of a shared <see cref="FakeTimeProvider"/>: the same time, and a count of the timers the host has
/// created. A schedule ticker creates its next timer when a tick has finished, so the count tells when a host has ticked.
/// </summary>
internal sealed class TickingClock(FakeTimeProvider shared) : TimeProvider
{
    private int _timers;

    /// <summary>Timers created so far (one per finished schedule tick).</summary>
    public int Timers => Volatile.Read(ref _timers);

    public override DateTimeOffset GetUtcNow() => shared.GetUtcNow();

    public override long GetTimestamp() => shared.GetTimestamp();

    public override long TimestampFrequency => shared.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => shared.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = shared.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
