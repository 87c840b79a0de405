namespace Cronflow;

/// <summary>
/// Timers on the run's clock, which is the orchestration's clock unless the run is tested in virtual time (see
/// <see cref="VirtualClock"/>): then a timer fires as soon as nothing else can happen before it, and time jumps.
/// </summary>
internal sealed partial class Interpreter
{
    /// <summary>The run's virtual clock; null for a run in real time.</summary>
    private readonly VirtualClock? _clock;

    /// <summary>The run's time: the orchestration's, plus the virtual clock's offset in a virtual-time test.</summary>
    private DateTimeOffset Now => _clock?.Now(_context.CurrentUtcDateTime) ?? new(_context.CurrentUtcDateTime, TimeSpan.Zero);

    /// <summary>A timer due at <paramref name="fireAt"/> on the run's clock (see <see cref="Now"/>).</summary>
    private async Task TimerAsync(DateTime fireAt, CancellationToken cancel)
    {
        if (_clock is null)
        {
            await DurableTimerAsync(fireAt, cancel);
            return;
        }

        // Whichever comes first: the real time reaching the due time, or the virtual clock jumping to it.
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var real = DurableTimerAsync(_context.CurrentUtcDateTime + (fireAt - Now.UtcDateTime), either.Token);
        var jump = JumpAsync(new DateTimeOffset(fireAt, TimeSpan.Zero), either.Token);
        var first = await Task.WhenAny(real, jump);
        either.Cancel();
        await first;
    }

    /// <summary>
    /// Fires when the virtual clock may jump to <paramref name="due"/>: no work is in flight and no other pending timer
    /// is due sooner. Each check follows a durable timer due at once, so that every continuation the last events made
    /// ready has run (and the work it started counts) before the check.
    /// </summary>
    private async Task JumpAsync(DateTimeOffset due, CancellationToken cancel)
    {
        var clock = _clock!;
        var timer = clock.Add(due);
        var fired = false;
        try
        {
            while (!fired)
            {
                await _context.CreateTimer(_context.CurrentUtcDateTime, cancel);
                if (clock.InFlight() is { } inFlight)
                {
                    await WhenAnyAsync(inFlight, cancel);
                    continue;
                }

                var earliest = clock.Earliest();
                if (earliest == timer)
                {
                    clock.AdvanceTo(due, _context.CurrentUtcDateTime);
                    fired = true;
                }
                else
                {
                    await WhenAnyAsync([earliest.Ended], cancel);
                }
            }
        }
        finally
        {
            clock.Remove(timer);
        }
    }

    /// <summary>Waits for one of <paramref name="tasks"/> to end; throws <see cref="TaskCanceledException"/> when <paramref name="cancel"/> fires first.</summary>
    private static async Task WhenAnyAsync(List<Task> tasks, CancellationToken cancel)
    {
        var cancelled = new TaskCompletionSource();
        using (cancel.Register(() => cancelled.TrySetResult()))
        {
            tasks.Add(cancelled.Task);
            await Task.WhenAny(tasks);
        }

        if (cancel.IsCancellationRequested)
        {
            throw new TaskCanceledException();
        }
    }

    /// <summary>Notes <paramref name="task"/> as work in flight on the virtual clock (see <see cref="VirtualClock.Busy"/>).</summary>
    private T Busy<T>(T task, CancellationToken cancel)
        where T : Task
    {
        _clock?.Busy(task, cancel);
        return task;
    }

    /// <summary>Moves the run's clock to the end of a child run, whose clock went on without this one.</summary>
    private void CatchUpWith(RunResult child)
    {
        if (_clock is not null && child.CompletedAt is { } end)
        {
            _clock.AdvanceTo(end, _context.CurrentUtcDateTime);
        }
    }

    /// <summary>The clock state for a child run's input, or for this run's next execution with <paramref name="withScript"/>.</summary>
    private VirtualTimeInput? VirtualState(bool withScript = false) => _clock?.State(withScript);

    /// <summary>When a finished run ended on its clock: set only in virtual time, where the backend's own end time is real.</summary>
    private DateTimeOffset? VirtualEnd => _clock is null ? null : Now;

    /// <summary>
    /// A durable timer that is never early: some storage (Azurite) can deliver a timer up to a second before its
    /// time, so the timer is re-armed until the orchestration's clock has reached <paramref name="fireAt"/>.
    /// </summary>
    private async Task DurableTimerAsync(DateTime fireAt, CancellationToken cancel)
    {
        await _context.CreateTimer(fireAt, cancel);
        for (var rearm = 0; rearm < 10 && _context.CurrentUtcDateTime < fireAt; rearm++)
        {
            await _context.CreateTimer(fireAt, cancel);
        }
    }
}
