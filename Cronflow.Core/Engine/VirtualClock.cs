using System.Text.Json.Serialization;

namespace Cronflow;

/// <summary>
/// What a run tested in virtual time is told by the test harness: how far its clock is ahead of the orchestration's,
/// and which waits the harness answers (so that those waits do not race their timeouts).
/// </summary>
internal sealed class VirtualTimeInput
{
    /// <summary>How far the run's clock is ahead of the orchestration's when the run (or this execution of it) starts.</summary>
    [JsonPropertyName("offsetTicks")]
    public long OffsetTicks { get; set; }

    /// <summary>The events the harness delivers, by name, with how many of each are still to come.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("events")]
    public Dictionary<string, int>? Events { get; set; }

    /// <summary>Whether the harness answers every human-in-the-loop pause.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonPropertyName("resumes")]
    public bool Resumes { get; set; }
}

/// <summary>
/// The clock of a run tested in virtual time. The run's time is the orchestration's time plus an offset; the offset
/// grows only when a durable timer fires early, so it is a pure function of the history and replays identically.
/// A timer fires early when nothing else can happen before it: no step, child run or scripted wait is in flight and
/// no other pending timer is due sooner. Time then jumps to its due time. Real time still counts too: a timer also
/// fires when the real time reaches its due time, so a step that hangs still times out.
/// </summary>
internal sealed class VirtualClock
{
    private readonly List<VirtualTimer> _timers = [];
    private readonly List<(Task Task, CancellationToken Cancel)> _busy = [];
    private readonly Dictionary<string, int> _events;
    private long _created;

    public VirtualClock(VirtualTimeInput input)
    {
        Offset = TimeSpan.FromTicks(input.OffsetTicks);
        _events = new Dictionary<string, int>(input.Events ?? [], StringComparer.Ordinal);
        ResumesScripted = input.Resumes;
    }

    /// <summary>How far the run's clock is ahead of the orchestration's.</summary>
    public TimeSpan Offset { get; private set; }

    /// <summary>Whether the harness answers every human-in-the-loop pause.</summary>
    public bool ResumesScripted { get; }

    /// <summary>The run's time when the orchestration's time is <paramref name="orchestrationTime"/>.</summary>
    public DateTimeOffset Now(DateTime orchestrationTime) => new(orchestrationTime + Offset, TimeSpan.Zero);

    /// <summary>Moves the run's time forward to <paramref name="at"/> (never back).</summary>
    public void AdvanceTo(DateTimeOffset at, DateTime orchestrationTime)
    {
        var needed = at.UtcDateTime - orchestrationTime;
        if (needed > Offset)
        {
            Offset = needed;
        }
    }

    /// <summary>Takes one of the deliveries of <paramref name="eventName"/> the harness makes; false when none is left.</summary>
    public bool TakeScriptedEvent(string eventName)
    {
        if (_events.TryGetValue(eventName, out var left) && left > 0)
        {
            _events[eventName] = left - 1;
            return true;
        }

        return false;
    }

    /// <summary>Notes work in flight (a step, a child run, a scripted wait): no timer fires early before it ends or its block gives it up.</summary>
    public void Busy(Task task, CancellationToken cancel) => _busy.Add((task, cancel));

    /// <summary>The work still in flight; null when there is none.</summary>
    public List<Task>? InFlight()
    {
        _busy.RemoveAll(b => b.Task.IsCompleted || b.Cancel.IsCancellationRequested);
        return _busy.Count == 0 ? null : _busy.ConvertAll(b => b.Task);
    }

    /// <summary>Adds a pending timer due at <paramref name="due"/> on the run's clock.</summary>
    public VirtualTimer Add(DateTimeOffset due)
    {
        var timer = new VirtualTimer(due, _created++);
        _timers.Add(timer);
        return timer;
    }

    /// <summary>Removes a timer that fired or was cancelled, and wakes the timers waiting for it.</summary>
    public void Remove(VirtualTimer timer)
    {
        _timers.Remove(timer);
        timer.End();
    }

    /// <summary>The pending timer due first (the one created first among equals).</summary>
    public VirtualTimer Earliest()
    {
        var earliest = _timers[0];
        foreach (var timer in _timers)
        {
            if (timer.Due < earliest.Due || (timer.Due == earliest.Due && timer.Order < earliest.Order))
            {
                earliest = timer;
            }
        }

        return earliest;
    }

    /// <summary>
    /// The input of a child run or of the next execution of this one: the same clock, and the scripted waits that are
    /// left when <paramref name="withScript"/> (the harness answers waits of the run's own instance only).
    /// </summary>
    public VirtualTimeInput State(bool withScript) => new()
    {
        OffsetTicks = Offset.Ticks,
        Events = withScript && _events.Any(e => e.Value > 0) ? _events.Where(e => e.Value > 0).ToDictionary(StringComparer.Ordinal) : null,
        Resumes = withScript && ResumesScripted,
    };
}

/// <summary>A pending timer on a <see cref="VirtualClock"/>.</summary>
internal sealed class VirtualTimer(DateTimeOffset due, long order)
{
    private readonly TaskCompletionSource _ended = new();

    public DateTimeOffset Due { get; } = due;

    public long Order { get; } = order;

    /// <summary>Completes when the timer has fired or was cancelled.</summary>
    public Task Ended => _ended.Task;

    public void End() => _ended.TrySetResult();
}
