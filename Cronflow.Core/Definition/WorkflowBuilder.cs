namespace Cronflow;

/// <summary>
/// The fluent builder behind <see cref="IWorkflowBuilder"/>. It records problems instead of throwing, so that
/// <see cref="Build"/> reports them all. Its parts: triggers, steps and waits, control flow, modifiers (one file
/// each); the rules themselves (names, timeouts, the finished tree, the report order) are <see cref="DefinitionValidator"/>.
/// </summary>
internal sealed partial class WorkflowBuilder : IWorkflowBuilder
{
    private readonly WorkflowOptions _options;
    private readonly string _prefix;
    private readonly DefinitionValidator _validator;
    private readonly List<Node> _root = [];
    private readonly Stack<IfFrame> _ifs = new();
    private readonly List<WebhookTrigger> _webhooks = [];
    private readonly List<ScheduleTrigger> _schedules = [];
    private readonly List<string> _events = [];
    private WorkflowDefinition? _built;
    private WorkflowDefinitionException? _failure;
    private bool _frozen;

    private WorkflowBuilder(string id, WorkflowOptions options, string prefix)
    {
        Id = id;
        _options = options;
        _prefix = prefix;
        _validator = new DefinitionValidator(id);
    }

    public string Id { get; }

    internal static WorkflowBuilder ForWorkflow(string id, WorkflowOptions options) => new(id ?? "", options, "");

    private static WorkflowBuilder ForBody(string workflowId, string prefix) => new(workflowId, new WorkflowOptions(), prefix);

    private List<Node> CurrentList => _ifs.Count == 0 ? _root : _ifs.Peek().Current;

    private string NextPath => (_ifs.Count == 0 ? _prefix : _ifs.Peek().Prefix) + CurrentList.Count;

    public WorkflowDefinition Build()
    {
        if (_built is not null)
        {
            return _built;
        }

        if (_failure is not null)
        {
            throw _failure;
        }

        _frozen = true;
        _validator.CheckWorkflowId();
        if (_options.Concurrency is < 1)
        {
            _validator.Error(ErrorCodes.InvalidConcurrency, "options", $"Concurrency is {_options.Concurrency}; it must be at least 1.");
        }

        if (_options.Timeout is { } timeout)
        {
            _validator.CheckTimeout(timeout, "options", "The workflow timeout");
        }

        FinishTree("workflow");
        if (_validator.HasErrors)
        {
            _failure = _validator.ToException();
            throw _failure;
        }

        var hooks = new Dictionary<string, StepBody>();
        if (_options.Hooks.OnSuccess is { } onSuccess)
        {
            hooks[WorkflowDefinition.OnSuccessPath] = Wrap(onSuccess);
        }

        if (_options.Hooks.OnFailure is { } onFailure)
        {
            hooks[WorkflowDefinition.OnFailurePath] = Wrap(onFailure);
        }

        _built = new WorkflowDefinition(Id, _options, _root, hooks, _webhooks, _schedules, _events);
        return _built;
    }

    /// <summary>Validates and names a for-each body built for one item.</summary>
    private List<Node> BuildBody(string forEachName, string forEachPath)
    {
        _frozen = true;
        if (_root.Count == 0)
        {
            _validator.Error(ErrorCodes.EmptyForEach, forEachPath, $"The body of for-each '{forEachName}' adds no steps.");
        }

        FinishTree($"for-each '{forEachName}'");
        if (_validator.HasErrors)
        {
            throw _validator.ToException();
        }

        return _root;
    }

    private void FinishTree(string scope)
    {
        foreach (var frame in _ifs)
        {
            _validator.Error(ErrorCodes.UnclosedIf, frame.Node.Path, $"If '{frame.Node.Name}' is never closed with EndIf.");
        }

        if (_root.Count == 0 && _prefix.Length == 0)
        {
            _validator.Error(ErrorCodes.EmptyWorkflow, "root", $"The {scope} has no steps.");
        }

        _validator.CheckTree(_root);
    }

    private void EnsureOpen()
    {
        if (_frozen)
        {
            throw new InvalidOperationException(
                $"{ErrorCodes.DefinitionFrozen}: workflow '{Id}' was already built; a definition cannot change once built or registered. Define a new workflow instead.");
        }
    }
}
