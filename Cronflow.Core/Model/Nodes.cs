using System.Text.Json;

namespace Cronflow;

/// <summary>A normalised step body: every user delegate shape becomes one of these.</summary>
internal delegate Task<object?> StepBody(StepContext context);

/// <summary>Retry, timeout and error handling attached to a node by the builder.</summary>
internal sealed class NodePolicy
{
    public RetryOptions? Retry { get; set; }

    public TimeSpan? Timeout { get; set; }

    public StepBody? OnError { get; set; }

    /// <summary>No retry, timeout or error handler: the node runs once, as it is.</summary>
    public bool IsPlain => Retry is null && Timeout is null && OnError is null;
}

/// <summary>
/// One node of the compiled workflow model. The set of node kinds is closed; the interpreter walks them with a switch.
/// Nodes are mutable only while their builder is open; a built definition never changes.
/// </summary>
internal abstract class Node
{
    protected Node(string path, string? name)
    {
        Path = path;
        Name = name ?? "";
        HasExplicitName = name is not null;
    }

    /// <summary>The stable position in the definition, such as <c>3</c>, <c>3/b0/1</c> or <c>5/each/0</c>.</summary>
    public string Path { get; }

    /// <summary>The step name (auto-generated for unnamed blocks when the definition is built).</summary>
    public string Name { get; set; }

    public bool HasExplicitName { get; }

    public NodePolicy Policy { get; } = new();

    public abstract string Kind { get; }

    /// <summary>Whether the node's output becomes <c>Last</c> and <c>Steps[Name]</c>.</summary>
    public virtual bool ProducesOutput => true;

    /// <summary>The auto-name prefix for unnamed nodes of this kind.</summary>
    public virtual string AutoNamePrefix => Kind;

    /// <summary>A line describing the node's shape, for the definition fingerprint.</summary>
    public virtual string Describe() =>
        $"{Path}|{Kind}|{Name}|retry={Policy.Retry?.Attempts}:{Policy.Retry?.Backoff}|timeout={Policy.Timeout?.Ticks}|onError={Policy.OnError is not null}";

    public virtual IEnumerable<IReadOnlyList<Node>> ChildLists => [];
}

internal sealed class StepNode(string path, string name, StepBody body, bool isAction) : Node(path, name)
{
    public StepBody Body { get; } = body;

    public bool IsAction { get; } = isAction;

    public override string Kind => IsAction ? "action" : "step";

    public override bool ProducesOutput => !IsAction;
}

/// <summary>A block whose branches are steps run side by side: <see cref="ParallelNode"/> or <see cref="RaceNode"/>.</summary>
internal abstract class BranchesNode(string path, string? name, IReadOnlyList<StepBody> branches) : Node(path, name)
{
    private string[]? _paths;
    private string[]? _names;

    public IReadOnlyList<StepBody> Branches { get; } = branches;

    /// <summary>The path of branch <paramref name="index"/> (<c>{Path}/{index}</c>), where the step activity finds its body.</summary>
    public string BranchPath(int index) => (_paths ??= Labels(i => $"{Path}/{i}"))[index];

    /// <summary>
    /// The name of branch <paramref name="index"/> (<c>{Name}[{index}]</c>) in records, lanes and errors. Read only by
    /// runs, once the definition is built and its names are final: both labels are built once, not in every episode.
    /// </summary>
    public string BranchName(int index) => (_names ??= Labels(i => $"{Name}[{i}]"))[index];

    // Built at most a few times when runs race to read them first: every copy is the same.
    private string[] Labels(Func<int, string> label)
    {
        var labels = new string[Branches.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = label(i);
        }

        return labels;
    }
}

internal sealed class ParallelNode(string path, string? name, IReadOnlyList<StepBody> branches, int? maxConcurrency) : BranchesNode(path, name, branches)
{
    public int? MaxConcurrency { get; } = maxConcurrency;

    public override string Kind => "parallel";

    public override string Describe() => $"{base.Describe()}|branches={Branches.Count}|max={MaxConcurrency}";
}

internal sealed class RaceNode(string path, string? name, IReadOnlyList<StepBody> branches) : BranchesNode(path, name, branches)
{
    public override string Kind => "race";

    public override string Describe() => $"{base.Describe()}|branches={Branches.Count}";
}

internal sealed record IfBranch(string Name, Func<FlowContext, bool> Condition, List<Node> Nodes, string Segment);

internal sealed class IfNode(string path, string name) : Node(path, name)
{
    public List<IfBranch> Branches { get; } = [];

    public List<Node>? Else { get; set; }

    public override string Kind => "if";

    public override string Describe() =>
        $"{base.Describe()}|branches={string.Join(",", Branches.Select(b => b.Name))}|else={Else is not null}";

    public override IEnumerable<IReadOnlyList<Node>> ChildLists =>
        Else is null ? Branches.Select(b => (IReadOnlyList<Node>)b.Nodes) : Branches.Select(b => (IReadOnlyList<Node>)b.Nodes).Append(Else);
}

/// <summary>
/// Builds the body of <paramref name="node"/> for one item (given as JSON) in workflow <paramref name="workflowId"/>.
/// Supplied by the builder that made the node. Throws <see cref="WorkflowDefinitionException"/> when the body is
/// invalid and <see cref="ForEachBodyException"/> when the user's body code throws.
/// </summary>
internal delegate IReadOnlyList<Node> ForEachBodyFactory(ForEachNode node, string workflowId, JsonElement item);

/// <summary>A for-each node. Its body depends on the item, so it is built per item, from the item's JSON.</summary>
internal sealed class ForEachNode(
    string path,
    string name,
    Func<FlowContext, IReadOnlyList<JsonElement>> selectItems,
    ForEachBodyFactory buildBody,
    ForEachOptions options) : Node(path, name)
{
    public Func<FlowContext, IReadOnlyList<JsonElement>> SelectItems { get; } = selectItems;

    public int? MaxConcurrency { get; } = options.MaxConcurrency;

    public int ChunkSize { get; } = options.ChunkSize;

    /// <summary>The body's shape as built from a default item at definition time, when that was possible.</summary>
    public IReadOnlyList<Node>? Template { get; set; }

    public override string Kind => "forEach";

    public string BodyPrefix => Path + "/each/";

    /// <summary>Builds the body for one item. Throws <see cref="WorkflowDefinitionException"/> when the body is invalid.</summary>
    public IReadOnlyList<Node> BuildBody(string workflowId, JsonElement item) => buildBody(this, workflowId, item);

    public override string Describe() =>
        $"{base.Describe()}|max={MaxConcurrency}|chunk={ChunkSize}|body={(Template is null ? "?" : string.Join(";", Template.Select(n => n.Describe())))}";
}

/// <summary>A for-each body threw while building its steps for an item.</summary>
internal sealed class ForEachBodyException(string message, Exception inner) : CronflowException(message, inner);

internal sealed class SleepNode(string path, TimeSpan duration) : Node(path, null)
{
    public TimeSpan Duration { get; } = duration;

    public override string Kind => "sleep";

    public override bool ProducesOutput => false;

    public override string Describe() => $"{base.Describe()}|duration={Duration.Ticks}";
}

internal sealed class WaitForEventNode(string path, string eventName, TimeSpan? timeout) : Node(path, null)
{
    public string EventName { get; } = eventName;

    public TimeSpan? WaitTimeout { get; } = timeout;

    public override string Kind => "waitForEvent";

    public override string AutoNamePrefix => "wait";

    public override string Describe() => $"{base.Describe()}|event={EventName}|timeout={WaitTimeout?.Ticks}";
}

internal sealed class HumanNode(string path, string? name, HumanInTheLoopOptions options, StepBody? onPause, StepBody? onTimeout) : Node(path, name)
{
    public string Description { get; } = options.Description ?? "";

    public TimeSpan? WaitTimeout { get; } = options.Timeout;

    public StepBody? OnPause { get; } = onPause;

    public StepBody? OnTimeout { get; } = onTimeout;

    public override string Kind => "humanInTheLoop";

    public override string AutoNamePrefix => "approval";

    public override string Describe() => $"{base.Describe()}|timeout={WaitTimeout?.Ticks}|onPause={OnPause is not null}|onTimeout={OnTimeout is not null}";
}

internal sealed class SubflowNode(string path, string name, string workflowId, Func<FlowContext, object?>? input) : Node(path, name)
{
    public string WorkflowId { get; } = workflowId;

    public Func<FlowContext, object?>? Input { get; } = input;

    public override string Kind => "subflow";

    public override string Describe() => $"{base.Describe()}|workflow={WorkflowId}";
}

internal sealed class WhileNode(string path, string name, Func<FlowContext, bool> condition, StepBody body, int maxIterations) : Node(path, name)
{
    public Func<FlowContext, bool> Condition { get; } = condition;

    public StepBody Body { get; } = body;

    public int MaxIterations { get; } = maxIterations;

    public override string Kind => "while";

    public override string Describe() => $"{base.Describe()}|max={MaxIterations}";
}

internal sealed class CancelNode(string path, string reason) : Node(path, null)
{
    public string Reason { get; } = reason;

    public override string Kind => "cancel";

    public override bool ProducesOutput => false;
}
