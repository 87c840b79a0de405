namespace Cronflow;

/// <summary>
/// Runs <c>count</c> tasks with at most <c>limit</c> in flight, starting the next as soon as one finishes (a sliding
/// window, not waves). The first failure decides: the remaining tasks are abandoned (their block token is
/// cancelled, so they start nothing new) and the caller's exception is thrown. Results come back in index order.
/// With a <see cref="BlockState"/>, abandoned tasks are handed on as its leftovers, and (unless
/// <c>countLeftovers</c> is false) leftovers of earlier attempts that still run take places in the window until they end.
/// <c>abandon</c> is the run's way to leave a task whose result is no longer needed.
/// </summary>
internal sealed class SlidingWindow(Action<Task> abandon, int count, int limit, CancellationToken cancel, BlockState? attempts = null, bool countLeftovers = true)
{
    // Sized for the whole window at once: it fills in one go, and grows no more than that.
    private readonly Dictionary<Task<FlowValue>, int> _inFlight = new(Math.Min(Math.Max(1, limit), count));

    // What a waiting turn of the window completes with: the first task to end while it waits.
    private TaskCompletionSource<Task>? _next;

    /// <summary>The tasks in flight now.</summary>
    public List<Task> Running() => [.. _inFlight.Keys];

    public FlowValue[] Results { get; } = new FlowValue[count];

    public BranchState[] States { get; } = new BranchState[count];

    /// <summary>The orchestration's clock; when set, each task's start and end are kept (see <see cref="Lanes"/>).</summary>
    public Func<DateTimeOffset>? Clock { get; init; }

    // Times of the first tasks only: the lanes a record keeps.
    private readonly DateTimeOffset?[] _started = new DateTimeOffset?[Math.Min(count, StepRecord.MaxLanes)];

    private readonly DateTimeOffset?[] _ended = new DateTimeOffset?[Math.Min(count, StepRecord.MaxLanes)];

    /// <summary>
    /// The first <see cref="StepRecord.MaxLanes"/> tasks as lanes, named by <paramref name="name"/>, once the window
    /// has ended: a task still running then was abandoned, one never started was skipped.
    /// </summary>
    public List<StepLane> Lanes(Func<int, string> name) =>
        [.. Enumerable.Range(0, Math.Min(count, StepRecord.MaxLanes)).Select(i => new StepLane
        {
            Index = i,
            Name = name(i),
            Status = States[i] switch
            {
                BranchState.Completed => StepStatus.Completed,
                BranchState.Failed => StepStatus.Failed,
                _ => StepStatus.Skipped,
            },
            StartedAt = _started[i],
            CompletedAt = _ended[i],
        })];

    /// <summary>Marks tasks whose results arrived in the same batch of events as completed.</summary>
    public void CollectArrived()
    {
        foreach (var (task, index) in _inFlight)
        {
            if (task.IsCompletedSuccessfully)
            {
                Results[index] = task.Result;
                States[index] = BranchState.Completed;
            }
        }
    }

    /// <summary>
    /// The first task in the window's order (in flight, then held) that has ended, or null. With the wait for the
    /// next to end (<see cref="_next"/>), this picks the task that <c>Task.WhenAny</c> over the same list would, without
    /// registering on every task in flight at each turn: a window of n tasks watches each once, not n² times.
    /// </summary>
    private Task? FirstEnded(List<Task> held)
    {
        foreach (var task in _inFlight.Keys)
        {
            if (task.IsCompleted)
            {
                return task;
            }
        }

        foreach (var task in held)
        {
            if (task.IsCompleted)
            {
                return task;
            }
        }

        return null;
    }

    /// <summary>
    /// Tells a waiting turn of the window (<see cref="_next"/>) when <paramref name="task"/> ends; the first to end
    /// wins. The continuation runs on the orchestration's context, as the window's own does.
    /// </summary>
    private async Task WatchAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The window reads the task's failure when it takes the task.
        }

        _next?.TrySetResult(task);
    }

    public async Task<FlowValue[]> RunAsync(Func<int, CancellationToken, Task<FlowValue>> start, Func<int, NodeFailure, Exception> fail)
    {
        using var block = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var window = Math.Max(1, limit);
        var next = 0;

        // Work an earlier attempt left running keeps its places in the window until it ends.
        var held = countLeftovers && attempts is not null ? attempts.Leftovers.Where(t => !t.IsCompleted).ToList() : [];

        void StartMore()
        {
            // An empty list starts nothing and completes at once with no results.
            while (next < count && _inFlight.Count + held.Count < window && !block.IsCancellationRequested)
            {
                var index = next++;
                States[index] = BranchState.Running;
                if (index < _started.Length)
                {
                    _started[index] = Clock?.Invoke();
                }

                var task = start(index, block.Token);
                _inFlight[task] = index;
                _ = WatchAsync(task);
            }
        }

        StartMore();
        foreach (var leftover in held)
        {
            _ = WatchAsync(leftover);
        }

        while (_inFlight.Count > 0 || (next < count && held.Count > 0))
        {
            var done = FirstEnded(held);
            if (done is null)
            {
                _next = new TaskCompletionSource<Task>();
                done = await _next.Task;
                _next = null;
            }

            if (done is not Task<FlowValue> mine || !_inFlight.TryGetValue(mine, out var index))
            {
                held.Remove(done);
                StartMore();
                continue;
            }

            _inFlight.Remove(mine);
            if (index < _ended.Length)
            {
                _ended[index] = Clock?.Invoke();
            }

            if (mine.Exception?.InnerException is { } exception)
            {
                // A failure decides the block; so does a Cancel step inside an item (it ends the whole run).
                States[index] = BranchState.Failed;
                var error = exception is NodeFailure failure ? fail(index, failure) : null;
                block.Cancel();
                foreach (var pending in _inFlight.Keys)
                {
                    abandon(pending);
                    attempts?.Leftovers.Add(pending);
                }

                if (error is null)
                {
                    await mine;
                }

                throw error!;
            }

            Results[index] = await mine;
            States[index] = BranchState.Completed;
            StartMore();
        }

        return Results;
    }
}

/// <summary>Where a task of a <see cref="SlidingWindow"/> (a branch, an item, a chunk) is.</summary>
internal enum BranchState
{
    Pending,
    Running,
    Completed,
    Failed,
}
