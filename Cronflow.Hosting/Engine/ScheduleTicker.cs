using Cronflow.Scheduling;
using Microsoft.Extensions.Logging;

namespace Cronflow.Hosting;

/// <summary>
/// Fires due <c>OnSchedule</c>/<c>OnInterval</c> occurrences from a background loop. Every host may run one: the
/// occurrences' run ids are derived from the workflow and the occurrence time, so each occurrence starts once.
/// </summary>
internal sealed partial class ScheduleTicker : IAsyncDisposable
{
    private readonly ScheduleDispatcher _dispatcher;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _lastTickTicks = -1;

    public ScheduleTicker(ScheduleDispatcher dispatcher, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _dispatcher = dispatcher;
        _interval = interval;
        _time = time;
        _logger = logger;
    }

    /// <summary>How often the ticker looks for due occurrences.</summary>
    public TimeSpan Interval => _interval;

    /// <summary>When the last tick finished without error (by the ticker's clock); null before the first one.</summary>
    public DateTimeOffset? LastTickAt => Interlocked.Read(ref _lastTickTicks) is var ticks and >= 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _dispatcher.TickAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastTickTicks, _time.GetUtcNow().UtcTicks);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.ScheduleTickFailed(_logger, ex);
            }

            await Task.Delay(_interval, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
