using System.Collections.Concurrent;

namespace Cronflow;

/// <summary>
/// Step outputs of runs in flight, kept in this process so that step activities need not receive every earlier
/// output in their input. The orchestrator fills it once a run's outputs outgrow what travels inline, and again as it
/// replays the run's history (so it is warm on whichever host runs the orchestration, restarts included), and empties
/// it when the run ends. A step that reads an output this
/// cache does not hold (its activity ran on another host) is run again once with every output in its input.
/// </summary>
internal sealed class StepOutputCache(int maxRuns = 20_000)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, FlowValue>> _runs = new(StringComparer.Ordinal);

    // Runs in the order they were added, for evicting the oldest beyond maxRuns. Ids of runs that already ended are
    // dropped from the front as new runs arrive, so the queue stays about as long as the cache.
    private readonly ConcurrentQueue<string> _order = new();
    private int _count;

    public int RunCount => Volatile.Read(ref _count);

    public void Put(string instanceId, string scope, string name, FlowValue value)
    {
        if (!_runs.TryGetValue(instanceId, out var run))
        {
            run = AddRun(instanceId);
        }

        run[Key(scope, name)] = value;
    }

    /// <summary>Finds <paramref name="name"/> in <paramref name="scope"/> or the scopes enclosing it.</summary>
    public bool TryGet(string instanceId, string scope, string name, out FlowValue value)
    {
        value = FlowValue.Null;
        if (!_runs.TryGetValue(instanceId, out var run))
        {
            return false;
        }

        while (true)
        {
            if (run.TryGetValue(Key(scope, name), out value!))
            {
                return true;
            }

            if (scope.Length == 0)
            {
                return false;
            }

            var cut = scope.LastIndexOf('|');
            scope = cut < 0 ? "" : scope[..cut];
        }
    }

    public void Remove(string instanceId)
    {
        // Most runs never reach the cache: a lock-free look first spares them TryRemove's bucket lock.
        if (_runs.ContainsKey(instanceId) && _runs.TryRemove(instanceId, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private static string Key(string scope, string name) => scope.Length == 0 ? name : scope + "\n" + name;

    private ConcurrentDictionary<string, FlowValue> AddRun(string instanceId)
    {
        var fresh = new ConcurrentDictionary<string, FlowValue>(StringComparer.Ordinal);
        var run = _runs.GetOrAdd(instanceId, fresh);
        if (!ReferenceEquals(run, fresh))
        {
            return run;
        }

        while (_order.TryPeek(out var head) && !_runs.ContainsKey(head))
        {
            _order.TryDequeue(out _);
        }

        _order.Enqueue(instanceId);
        if (Interlocked.Increment(ref _count) > maxRuns)
        {
            while (Volatile.Read(ref _count) > maxRuns && _order.TryDequeue(out var oldest))
            {
                Remove(oldest);
            }
        }

        return run;
    }
}

/// <summary>A step read outputs its input did not carry and the local cache did not hold; the orchestrator re-runs it with all outputs.</summary>
internal sealed class StepOutputsMissingException(IReadOnlyCollection<string> names)
    : CronflowException($"The step read outputs that were not available on this host: {string.Join(", ", names)}.")
{
    public const string TypeName = "Cronflow.StepOutputsMissingException";
}
