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
    // How many tasks (leftovers of earlier attempts included) may be in flight at once.
    private readonly int _size = Math.Max(1, limit);

    // Sized for the whole window at once: it fills in one go, and grows no more than that.
    private readonly Dictionary<Task<FlowValue>, int> _inFlight = new(Math.Min(Math.Max(1, limit), count));

    // What RunAsync was given, for the continuations that take tasks as they end.
    private Func<int, CancellationToken, Task<FlowValue>> _start = null!;
    private Func<int, NodeFailure, Exception> _fail = null!;
    private CancellationTokenSource _block = null!;
    private List<Task> _held = [];
    private int _next;

    // Tasks that have ended and are not taken yet, in the order they ended; Take is running (it starts tasks, which
    // may end at once and come back here).
    private readonly Queue<Task> _endedTasks = new();
    private bool _taking;

    // Completes once, when the window is done: with the results, or with the failure that decided it.
    private readonly TaskCompletionSource<FlowValue[]> _done = new();

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
    /// Runs the window: starts the first tasks, then takes each task as it ends (<see cref="Take"/>) and starts the next
    /// in its place, until every task has ended or one has failed. The window does not wait turn by turn: each task that
    /// ends is handed to it by a continuation that runs where the task ends, on the orchestration's context, so that
    /// the window's caller resumes once, when the window is done, instead of once for every task.
    /// </summary>
    public async Task<FlowValue[]> RunAsync(Func<int, CancellationToken, Task<FlowValue>> start, Func<int, NodeFailure, Exception> fail)
    {
        using var block = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _block = block;
        _start = start;
        _fail = fail;

        // Work an earlier attempt left running keeps its places in the window until it ends.
        _held = countLeftovers && attempts is not null ? attempts.Leftovers.Where(t => !t.IsCompleted).ToList() : [];
        _taking = true;
        try
        {
            StartMore();
            foreach (var leftover in _held)
            {
                Watch(leftover);
            }
        }
        catch (Exception ex)
        {
            _done.TrySetException(ex);
        }
        finally
        {
            _taking = false;
        }

        Take();
        return await _done.Task;
    }

    /// <summary>
    /// Hands <paramref name="task"/> to the window when it ends, at once when it has already ended. The continuation is
    /// the one an <c>await</c> would register: on the orchestration's context, inline when the task ends there (as every
    /// activity result does); only the async frame around it is saved.
    /// </summary>
    private void Watch(Task task)
    {
        if (task.IsCompleted)
        {
            OnEnded(task);
            return;
        }

        task.GetAwaiter().OnCompleted(() => OnEnded(task));
    }

    private void OnEnded(Task task)
    {
        if (_done.Task.IsCompleted)
        {
            // An abandoned task, or one the window no longer waits for.
            return;
        }

        _endedTasks.Enqueue(task);
        Take();
    }

    private void StartMore()
    {
        // An empty list starts nothing and completes at once with no results.
        while (_next < count && _inFlight.Count + _held.Count < _size && !_block.IsCancellationRequested)
        {
            var index = _next++;
            States[index] = BranchState.Running;
            if (index < _started.Length)
            {
                _started[index] = Clock?.Invoke();
            }

            var task = _start(index, _block.Token);
            _inFlight[task] = index;
            Watch(task);
        }
    }

    /// <summary>
    /// Takes the tasks that have ended, first to end first: a result goes in its place and the next task starts; a
    /// failure decides the window, abandoning the tasks still in flight. Ends the window when nothing is left to wait for.
    /// </summary>
    private void Take()
    {
        if (_taking)
        {
            return;
        }

        _taking = true;
        try
        {
            while (!_done.Task.IsCompleted)
            {
                if (!_endedTasks.TryDequeue(out var done))
                {
                    if (_inFlight.Count == 0 && !(_next < count && _held.Count > 0))
                    {
                        _done.TrySetResult(Results);
                    }

                    return;
                }

                if (done is not Task<FlowValue> mine || !_inFlight.Remove(mine, out var index))
                {
                    _held.Remove(done);
                    StartMore();
                    continue;
                }

                if (index < _ended.Length)
                {
                    _ended[index] = Clock?.Invoke();
                }

                if (mine.Exception is { InnerException: { } exception } failed)
                {
                    // A failure decides the block; so does a Cancel step inside an item (it ends the whole run).
                    States[index] = BranchState.Failed;
                    var error = exception is NodeFailure failure ? _fail(index, failure) : null;
                    _block.Cancel();
                    foreach (var pending in _inFlight.Keys)
                    {
                        abandon(pending);
                        attempts?.Leftovers.Add(pending);
                    }

                    if (error is null)
                    {
                        _done.TrySetException(failed.InnerExceptions);
                    }
                    else
                    {
                        _done.TrySetException(error);
                    }

                    return;
                }

                if (mine.IsCanceled)
                {
                    _done.TrySetCanceled();
                    return;
                }

                Results[index] = mine.Result;
                States[index] = BranchState.Completed;
                StartMore();
            }
        }
        catch (Exception ex)
        {
            _done.TrySetException(ex);
        }
        finally
        {
            _taking = false;
        }
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
