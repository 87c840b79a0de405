using System.Collections.Concurrent;

namespace Cronflow;

/// <summary>
/// Step outputs of runs in flight, kept in this process so that step activities need not receive every earlier
/// output in their input. The orchestrator fills it as it replays a run's history (so it is warm on whichever host
/// runs the orchestration, restarts included) and empties it when the run ends. A step that reads an output this
/// cache does not hold (its activity ran on another host) is run again once with every output in its input.
/// </summary>
internal sealed class StepOutputCache(int maxRuns = 20_000)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, FlowValue>> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public int RunCount => _runs.Count;

    public void Put(string instanceId, string scope, string name, FlowValue value)
    {
        var run = _runs.GetOrAdd(instanceId, id =>
        {
            _order.Enqueue(id);
            return new ConcurrentDictionary<string, FlowValue>(StringComparer.Ordinal);
        });
        run[Key(scope, name)] = value;
        Trim();
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

    public void Remove(string instanceId) => _runs.TryRemove(instanceId, out _);

    private static string Key(string scope, string name) => scope.Length == 0 ? name : scope + "\n" + name;

    private void Trim()
    {
        while (_runs.Count > maxRuns && _order.TryDequeue(out var oldest))
        {
            _runs.TryRemove(oldest, out _);
        }
    }
}

/// <summary>A step read outputs its input did not carry and the local cache did not hold; the orchestrator re-runs it with all outputs.</summary>
internal sealed class StepOutputsMissingException(IReadOnlyCollection<string> names)
    : CronflowException($"The step read outputs that were not available on this host: {string.Join(", ", names)}.")
{
    public const string TypeName = "Cronflow.StepOutputsMissingException";
}
