using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cronflow;

/// <summary>
/// A validated, frozen workflow: the model the engine interprets. Produced by <see cref="IWorkflowBuilder.Build"/>.
/// </summary>
public sealed class WorkflowDefinition
{
    internal const string OnSuccessPath = "#onSuccess";
    internal const string OnFailurePath = "#onFailure";
    internal const string OnErrorSuffix = "#onError";
    internal const string OnPauseSuffix = "#onPause";
    internal const string OnTimeoutSuffix = "#onTimeout";

    private readonly Dictionary<string, Callable> _callables = new(StringComparer.Ordinal);
    private readonly List<ForEachNode> _forEachNodes;

    internal WorkflowDefinition(
        string id,
        WorkflowOptions options,
        IReadOnlyList<Node> nodes,
        IReadOnlyDictionary<string, StepBody> hooks,
        IReadOnlyList<WebhookTrigger> webhooks,
        IReadOnlyList<ScheduleTrigger> schedules,
        IReadOnlyList<string> events)
    {
        Id = id;
        Name = options.Name ?? id;
        Description = options.Description;
        Tags = [.. options.Tags];
        Timeout = options.Timeout;
        Concurrency = options.Concurrency;
        Nodes = nodes;
        Webhooks = webhooks;
        Schedules = schedules;
        Events = events;
        foreach (var (path, body) in hooks)
        {
            _callables[path] = new Callable(path == OnSuccessPath ? "onSuccess" : "onFailure", body);
        }

        HasOnSuccess = hooks.ContainsKey(OnSuccessPath);
        HasOnFailure = hooks.ContainsKey(OnFailurePath);
        IndexCallables(nodes, _callables);
        _forEachNodes = NodeWalker.Walk(nodes).OfType<ForEachNode>().ToList();
        StepNames = NodeWalker.Walk(nodes).Select(n => n.Name).ToList();
        Fingerprint = ComputeFingerprint(nodes, hooks.Keys);
    }

    /// <summary>The workflow id.</summary>
    public string Id { get; }

    /// <summary>The display name.</summary>
    public string Name { get; }

    /// <summary>The description.</summary>
    public string? Description { get; }

    /// <summary>The tags.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>The run timeout, if any.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>The cap on concurrently running runs, if any.</summary>
    public int? Concurrency { get; }

    /// <summary>A hash of the definition's shape; runs record it, and a changed shape is detected on replay.</summary>
    public string Fingerprint { get; }

    /// <summary>The names of all steps and blocks outside for-each bodies, in definition order.</summary>
    public IReadOnlyList<string> StepNames { get; }

    /// <summary>The webhook triggers.</summary>
    public IReadOnlyList<WebhookTrigger> Webhooks { get; }

    /// <summary>The cron and interval triggers.</summary>
    public IReadOnlyList<ScheduleTrigger> Schedules { get; }

    /// <summary>The events that start this workflow.</summary>
    public IReadOnlyList<string> Events { get; }

    internal IReadOnlyList<Node> Nodes { get; }

    /// <summary>The workflows this one starts as subflows (outside for-each bodies).</summary>
    internal IEnumerable<SubflowNode> Subflows => NodeWalker.Walk(Nodes).OfType<SubflowNode>();

    internal bool HasOnSuccess { get; }

    internal bool HasOnFailure { get; }

    /// <summary>
    /// Finds the body to run for an activity: a step, a block branch, an <c>OnError</c> handler or a hook.
    /// <paramref name="items"/> holds the item of each enclosing for-each, outermost first.
    /// </summary>
    internal Callable? Resolve(string path, IReadOnlyList<JsonElement>? items) => Resolve(path, items ?? [], 0, _callables, _forEachNodes);

    private Callable? Resolve(string path, IReadOnlyList<JsonElement> items, int depth, Dictionary<string, Callable> callables, List<ForEachNode> forEachNodes)
    {
        if (callables.TryGetValue(path, out var callable))
        {
            return callable;
        }

        var owner = forEachNodes.FirstOrDefault(f => path.StartsWith(f.BodyPrefix, StringComparison.Ordinal));
        if (owner is null || depth >= items.Count)
        {
            return null;
        }

        var body = owner.BuildBody(Id, items[depth]);
        var bodyCallables = new Dictionary<string, Callable>(StringComparer.Ordinal);
        IndexCallables(body, bodyCallables);
        return Resolve(path, items, depth + 1, bodyCallables, NodeWalker.Walk(body).OfType<ForEachNode>().ToList());
    }

    /// <summary>Finds the node at <paramref name="path"/>, building for-each bodies from <paramref name="items"/> on the way.</summary>
    internal Node? FindNode(string path, IReadOnlyList<JsonElement> items)
    {
        IReadOnlyList<Node> nodes = Nodes;
        var depth = 0;
        while (true)
        {
            var all = NodeWalker.Walk(nodes).ToList();
            if (all.FirstOrDefault(n => n.Path == path) is { } found)
            {
                return found;
            }

            var owner = all.OfType<ForEachNode>().FirstOrDefault(f => path.StartsWith(f.BodyPrefix, StringComparison.Ordinal));
            if (owner is null || depth >= items.Count)
            {
                return null;
            }

            nodes = owner.BuildBody(Id, items[depth++]);
        }
    }

    private static void IndexCallables(IEnumerable<Node> nodes, Dictionary<string, Callable> callables)
    {
        foreach (var node in NodeWalker.Walk(nodes))
        {
            switch (node)
            {
                case StepNode step:
                    callables[step.Path] = new Callable(step.Name, step.Body);
                    break;
                case ParallelNode parallel:
                    for (var i = 0; i < parallel.Branches.Count; i++)
                    {
                        callables[$"{parallel.Path}/{i}"] = new Callable($"{parallel.Name}[{i}]", parallel.Branches[i]);
                    }

                    break;
                case WhileNode loop:
                    callables[loop.Path] = new Callable(loop.Name, loop.Body);
                    break;
                case HumanNode human:
                    if (human.OnPause is { } onPause)
                    {
                        callables[human.Path + OnPauseSuffix] = new Callable(human.Name, onPause);
                    }

                    if (human.OnTimeout is { } onTimeout)
                    {
                        callables[human.Path + OnTimeoutSuffix] = new Callable(human.Name, onTimeout);
                    }

                    break;
                case RaceNode race:
                    for (var i = 0; i < race.Branches.Count; i++)
                    {
                        callables[$"{race.Path}/{i}"] = new Callable($"{race.Name}[{i}]", race.Branches[i]);
                    }

                    break;
            }

            if (node.Policy.OnError is { } onError)
            {
                callables[node.Path + OnErrorSuffix] = new Callable(node.Name, onError);
            }
        }
    }

    private static string ComputeFingerprint(IEnumerable<Node> nodes, IEnumerable<string> hooks)
    {
        var text = new StringBuilder();
        foreach (var node in NodeWalker.Walk(nodes))
        {
            text.Append(node.Describe()).Append('\n');
        }

        foreach (var hook in hooks.Order(StringComparer.Ordinal))
        {
            text.Append(hook).Append('\n');
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }
}

/// <summary>A body the step activity can run, with the name it reports.</summary>
internal sealed record Callable(string Name, StepBody Body);
