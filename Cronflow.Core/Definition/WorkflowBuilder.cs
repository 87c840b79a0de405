using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cronflow;

/// <summary>The fluent builder behind <see cref="IWorkflowBuilder"/>. It records problems instead of throwing, so that <see cref="Build"/> reports them all.</summary>
internal sealed partial class WorkflowBuilder : IWorkflowBuilder
{
    private const int MaxNameLength = 100;

    private readonly WorkflowOptions _options;
    private readonly string _prefix;
    private readonly List<Node> _root = [];
    private readonly Stack<IfFrame> _ifs = new();
    private readonly List<DefinitionError> _errors = [];
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
    }

    public string Id { get; }

    internal static WorkflowBuilder ForWorkflow(string id, WorkflowOptions options) => new(id ?? "", options, "");

    internal static WorkflowBuilder ForBody(string workflowId, string prefix) => new(workflowId, new WorkflowOptions(), prefix);

    private List<Node> CurrentList => _ifs.Count == 0 ? _root : _ifs.Peek().Current;

    private string NextPath => (_ifs.Count == 0 ? _prefix : _ifs.Peek().Prefix) + CurrentList.Count;

    // ---- triggers -------------------------------------------------------------------------

    public IWorkflowBuilder OnWebhook(string path, Action<WebhookOptions>? configure = null)
    {
        EnsureOpen();
        var options = new WebhookOptions();
        configure?.Invoke(options);
        var normalized = WebhookPaths.Normalize(path);
        foreach (var problem in WebhookPaths.Validate(normalized, options))
        {
            Error(ErrorCodes.InvalidWebhook, $"webhook {path}", problem);
        }

        _webhooks.Add(new WebhookTrigger(normalized, options));
        return this;
    }

    public IWorkflowBuilder OnSchedule(string cron, string? timeZone = null)
    {
        EnsureOpen();
        TimeZoneInfo zone = TimeZoneInfo.Utc;
        if (timeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone!))
        {
            Error(ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The time zone '{timeZone}' is not known on this machine.");
            zone = TimeZoneInfo.Utc;
        }

        Cronos.CronExpression? expression = null;
        var fields = (cron ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            Error(ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' has {fields} fields; it needs 5 (minute precision) or 6 (with seconds).");
        }
        else
        {
            try
            {
                expression = Cronos.CronExpression.Parse(cron!, fields == 6 ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard);
            }
            catch (Cronos.CronFormatException ex)
            {
                Error(ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' is invalid: {ex.Message}");
            }
        }

        if (expression is not null)
        {
            _schedules.Add(new ScheduleTrigger { Cron = cron, TimeZone = zone, Expression = expression });
        }

        return this;
    }

    public IWorkflowBuilder OnInterval(TimeSpan interval)
    {
        EnsureOpen();
        if (interval < TimeSpan.FromSeconds(1))
        {
            Error(ErrorCodes.InvalidSchedule, $"interval {interval}", $"The interval {interval} is shorter than one second.");
        }
        else
        {
            _schedules.Add(new ScheduleTrigger { Interval = interval });
        }

        return this;
    }

    public IWorkflowBuilder OnEvent(string eventName)
    {
        EnsureOpen();
        if (string.IsNullOrWhiteSpace(eventName) || eventName.Length > 200 || eventName.Contains('/', StringComparison.Ordinal))
        {
            Error(ErrorCodes.InvalidEventName, $"event {eventName}", $"The event name '{eventName}' must be 1 to 200 characters without '/'.");
        }
        else if (!_events.Contains(eventName))
        {
            _events.Add(eventName);
        }

        return this;
    }

    // ---- steps ----------------------------------------------------------------------------

    public IWorkflowBuilder Step<T>(string name, Func<StepContext, T> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Step<T>(string name, Func<StepContext, Task<T>> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Step(string name, Func<StepContext, Task> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Step(string name, Action<StepContext> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Action<T>(string name, Func<StepContext, T> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    public IWorkflowBuilder Action<T>(string name, Func<StepContext, Task<T>> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    public IWorkflowBuilder Action(string name, Func<StepContext, Task> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    public IWorkflowBuilder Action(string name, Action<StepContext> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    // ---- blocks ---------------------------------------------------------------------------

    public IWorkflowBuilder Parallel(params Func<StepContext, Task<object?>>[] branches) => Parallel(new ParallelOptions(), branches);

    public IWorkflowBuilder Parallel(ParallelOptions options, params Func<StepContext, Task<object?>>[] branches)
    {
        EnsureOpen();
        options ??= new ParallelOptions();
        var path = NextPath;
        var bodies = WrapBranches(branches, path, "parallel");
        if (bodies.Count == 0)
        {
            Error(ErrorCodes.EmptyParallel, path, "The parallel block has no branches.");
        }

        if (options.MaxConcurrency is < 1)
        {
            Error(ErrorCodes.InvalidConcurrency, path, $"MaxConcurrency is {options.MaxConcurrency}; it must be at least 1.");
        }

        CheckName(options.Name, path);
        var node = new ParallelNode(path, options.Name, bodies, options.MaxConcurrency);
        if (options.Timeout is { } timeout)
        {
            CheckTimeout(timeout, path, "The parallel block's timeout");
            node.Policy.Timeout = timeout;
        }

        CurrentList.Add(node);
        return this;
    }

    public IWorkflowBuilder Race(params Func<StepContext, Task<object?>>[] branches) => Race(new RaceOptions(), branches);

    public IWorkflowBuilder Race(RaceOptions options, params Func<StepContext, Task<object?>>[] branches)
    {
        EnsureOpen();
        options ??= new RaceOptions();
        var path = NextPath;
        var bodies = WrapBranches(branches, path, "race");
        if (bodies.Count == 0)
        {
            Error(ErrorCodes.EmptyRace, path, "The race has no branches; a race needs at least one.");
        }

        CheckName(options.Name, path);
        var node = new RaceNode(path, options.Name, bodies);
        if (options.Timeout is { } timeout)
        {
            CheckTimeout(timeout, path, "The race's timeout");
            node.Policy.Timeout = timeout;
        }

        CurrentList.Add(node);
        return this;
    }

    public IWorkflowBuilder If(string name, Func<FlowContext, bool> condition)
    {
        EnsureOpen();
        var path = NextPath;
        CheckName(name, path, "An if");
        if (condition is null)
        {
            Error(ErrorCodes.MissingDelegate, path, $"The condition of if '{name}' is null.");
        }

        var node = new IfNode(path, name ?? "");
        CurrentList.Add(node);
        var frame = new IfFrame(node);
        frame.Open(name ?? "", condition ?? (_ => false));
        _ifs.Push(frame);
        return this;
    }

    public IWorkflowBuilder ElseIf(string name, Func<FlowContext, bool> condition)
    {
        EnsureOpen();
        if (_ifs.Count == 0)
        {
            Error(ErrorCodes.ElseIfWithoutIf, NextPath, $"ElseIf '{name}' has no open If before it.");
            return this;
        }

        var frame = _ifs.Peek();
        CheckName(name, frame.Node.Path, "An else-if");
        if (frame.SawElse)
        {
            Error(ErrorCodes.BranchAfterElse, frame.Node.Path, $"ElseIf '{name}' comes after the Else of if '{frame.Node.Name}'.");
        }

        if (condition is null)
        {
            Error(ErrorCodes.MissingDelegate, frame.Node.Path, $"The condition of else-if '{name}' is null.");
        }

        frame.Open(name ?? "", condition ?? (_ => false));
        return this;
    }

    public IWorkflowBuilder Else()
    {
        EnsureOpen();
        if (_ifs.Count == 0)
        {
            Error(ErrorCodes.ElseWithoutIf, NextPath, "Else has no open If before it.");
            return this;
        }

        var frame = _ifs.Peek();
        if (frame.SawElse)
        {
            Error(ErrorCodes.BranchAfterElse, frame.Node.Path, $"If '{frame.Node.Name}' has two Else branches.");
        }

        frame.OpenElse();
        return this;
    }

    public IWorkflowBuilder EndIf()
    {
        EnsureOpen();
        if (_ifs.Count == 0)
        {
            Error(ErrorCodes.EndIfWithoutIf, NextPath, "EndIf has no open If before it.");
            return this;
        }

        _ifs.Pop();
        return this;
    }

    public IWorkflowBuilder ForEach<TItem>(string name, Func<FlowContext, IEnumerable<TItem>> items, Action<TItem, IWorkflowBuilder> body, ForEachOptions? options = null)
    {
        EnsureOpen();
        options ??= new ForEachOptions();
        var path = NextPath;
        CheckName(name, path, "A for-each");
        if (items is null)
        {
            Error(ErrorCodes.MissingDelegate, path, $"The item selector of for-each '{name}' is null.");
        }

        if (body is null)
        {
            Error(ErrorCodes.MissingDelegate, path, $"The body of for-each '{name}' is null.");
        }

        if (options.MaxConcurrency is < 1)
        {
            Error(ErrorCodes.InvalidConcurrency, path, $"MaxConcurrency is {options.MaxConcurrency}; it must be at least 1.");
        }

        if (options.ChunkSize < 1)
        {
            Error(ErrorCodes.InvalidConcurrency, path, $"ChunkSize is {options.ChunkSize}; it must be at least 1.");
        }

        Func<FlowContext, IReadOnlyList<JsonElement>> select = context =>
            (items?.Invoke(context) ?? []).Select(item => CronflowJson.ToElement(item)).ToList();
        Func<JsonElement, WorkflowBuilder, Exception?> build = (json, builder) =>
        {
            try
            {
                var item = json.ValueKind == JsonValueKind.Null ? default! : json.Deserialize<TItem>(CronflowJson.Options)!;
                body?.Invoke(item, builder);
                return null;
            }
            catch (Exception ex) when (ex is not WorkflowDefinitionException)
            {
                return ex;
            }
        };

        CurrentList.Add(new ForEachNode(path, name ?? "", select, build, options));
        return this;
    }

    // ---- durable waits and composition ----------------------------------------------------

    public IWorkflowBuilder Sleep(TimeSpan duration)
    {
        EnsureOpen();
        var path = NextPath;
        CheckTimeout(duration, path, "The sleep duration");
        CurrentList.Add(new SleepNode(path, duration));
        return this;
    }

    public IWorkflowBuilder WaitForEvent(string eventName, TimeSpan? timeout = null)
    {
        EnsureOpen();
        var path = NextPath;
        if (string.IsNullOrWhiteSpace(eventName) || eventName.Length > 200)
        {
            Error(ErrorCodes.InvalidEventName, path, $"The event name '{eventName}' must be 1 to 200 characters.");
        }

        if (timeout is { } t)
        {
            CheckTimeout(t, path, "The event wait's timeout");
        }

        CurrentList.Add(new WaitForEventNode(path, eventName ?? "", timeout));
        return this;
    }

    public IWorkflowBuilder HumanInTheLoop(Action<HumanInTheLoopOptions> configure)
    {
        EnsureOpen();
        var path = NextPath;
        var options = new HumanInTheLoopOptions();
        configure?.Invoke(options);
        CheckName(options.Name, path);
        if (options.Timeout is { } timeout)
        {
            CheckTimeout(timeout, path, "The human-in-the-loop timeout");
        }

        StepBody? onPause = options.OnPause is { } pause ? async ctx => { await pause(ctx, ctx.ResumeToken ?? "").ConfigureAwait(false); return null; } : null;
        StepBody? onTimeout = options.OnTimeout is { } expired ? Wrap(expired) : null;
        CurrentList.Add(new HumanNode(path, options.Name, options, onPause, onTimeout));
        return this;
    }

    public IWorkflowBuilder Subflow(string name, string workflowId, Func<FlowContext, object?>? input = null)
    {
        EnsureOpen();
        var path = NextPath;
        CheckName(name, path);
        if (name is null)
        {
            Error(ErrorCodes.InvalidStepName, path, "A subflow has no name.");
        }

        if (string.IsNullOrWhiteSpace(workflowId))
        {
            Error(ErrorCodes.UnknownSubflow, path, $"Subflow '{name}' names no workflow.");
        }

        CurrentList.Add(new SubflowNode(path, name ?? "", workflowId ?? "", input));
        return this;
    }

    public IWorkflowBuilder While<T>(string name, Func<FlowContext, bool> condition, Func<StepContext, Task<T>> body, int maxIterations = 1000)
    {
        EnsureOpen();
        var path = NextPath;
        CheckName(name, path);
        if (name is null)
        {
            Error(ErrorCodes.InvalidStepName, path, "A while loop has no name.");
        }

        if (condition is null || body is null)
        {
            Error(ErrorCodes.MissingDelegate, path, $"The {(condition is null ? "condition" : "body")} of while '{name}' is null.");
        }

        if (maxIterations < 1)
        {
            Error(ErrorCodes.InvalidWhile, path, $"While '{name}' has maxIterations {maxIterations}; it must be at least 1.");
        }

        CurrentList.Add(new WhileNode(path, name ?? "", condition ?? (_ => false), body is null ? _ => Task.FromResult<object?>(null) : Wrap(body), maxIterations));
        return this;
    }

    public IWorkflowBuilder Cancel(string reason)
    {
        EnsureOpen();
        CurrentList.Add(new CancelNode(NextPath, string.IsNullOrWhiteSpace(reason) ? "Cancelled by the workflow." : reason));
        return this;
    }

    // ---- modifiers ------------------------------------------------------------------------

    public IWorkflowBuilder Retry(int attempts, Backoff? backoff = null) => Retry(new RetryOptions { Attempts = attempts, Backoff = backoff });

    public IWorkflowBuilder Retry(int attempts, Backoff? backoff, params Type[] retryOn) =>
        Retry(new RetryOptions { Attempts = attempts, Backoff = backoff, RetryOn = retryOn ?? [] });

    public IWorkflowBuilder Retry(RetryOptions options)
    {
        EnsureOpen();
        var target = Target("Retry");
        if (target is null)
        {
            return this;
        }

        if (options.Attempts < 1)
        {
            Error(ErrorCodes.InvalidRetry, target.Path, $"Retry of '{Label(target)}' has {options.Attempts} attempts; it needs at least 1.");
        }

        if (options.Backoff is { } backoff && (backoff.Delay < TimeSpan.Zero || backoff.Max < TimeSpan.Zero))
        {
            Error(ErrorCodes.InvalidRetry, target.Path, $"Retry of '{Label(target)}' has a negative backoff delay.");
        }

        if (options.RetryOn.Any(t => t is null || !typeof(Exception).IsAssignableFrom(t)))
        {
            Error(ErrorCodes.InvalidRetry, target.Path, $"Retry of '{Label(target)}' lists a type that is not an exception.");
        }

        if (target.Policy.Retry is not null)
        {
            Error(ErrorCodes.DuplicateModifier, target.Path, $"'{Label(target)}' already has a Retry.");
        }

        target.Policy.Retry = new RetryOptions { Attempts = options.Attempts, Backoff = options.Backoff, RetryOn = [.. options.RetryOn] };
        return this;
    }

    public IWorkflowBuilder Timeout(TimeSpan timeout)
    {
        EnsureOpen();
        var target = Target("Timeout");
        if (target is null)
        {
            return this;
        }

        CheckTimeout(timeout, target.Path, $"The timeout of '{Label(target)}'");
        if (target.Policy.Timeout is not null)
        {
            Error(ErrorCodes.DuplicateModifier, target.Path, $"'{Label(target)}' already has a Timeout.");
        }

        target.Policy.Timeout = timeout;
        return this;
    }

    public IWorkflowBuilder OnError<T>(Func<StepContext, T> handler) => SetOnError(handler is null ? null : Wrap(handler));

    public IWorkflowBuilder OnError<T>(Func<StepContext, Task<T>> handler) => SetOnError(handler is null ? null : Wrap(handler));

    // ---- build ----------------------------------------------------------------------------

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
        if (!WorkflowIdPattern().IsMatch(Id))
        {
            _errors.Insert(0, new DefinitionError(ErrorCodes.InvalidWorkflowId, Id, "id", $"The workflow id '{Id}' must be 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit."));
        }

        if (_options.Concurrency is < 1)
        {
            Error(ErrorCodes.InvalidConcurrency, "options", $"Concurrency is {_options.Concurrency}; it must be at least 1.");
        }

        if (_options.Timeout is { } timeout)
        {
            CheckTimeout(timeout, "options", "The workflow timeout");
        }

        FinishTree("workflow");
        if (_errors.Count > 0)
        {
            _failure = new WorkflowDefinitionException(InDefinitionOrder(_errors));
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
    internal IReadOnlyList<Node> BuildBody(string forEachName, string forEachPath)
    {
        _frozen = true;
        if (_root.Count == 0)
        {
            Error(ErrorCodes.EmptyForEach, forEachPath, $"The body of for-each '{forEachName}' adds no steps.");
        }

        FinishTree($"for-each '{forEachName}'");
        if (_errors.Count > 0)
        {
            throw new WorkflowDefinitionException(InDefinitionOrder(_errors));
        }

        return _root;
    }

    private void FinishTree(string scope)
    {
        foreach (var frame in _ifs)
        {
            Error(ErrorCodes.UnclosedIf, frame.Node.Path, $"If '{frame.Node.Name}' is never closed with EndIf.");
        }

        if (_root.Count == 0 && _prefix.Length == 0)
        {
            Error(ErrorCodes.EmptyWorkflow, "root", $"The {scope} has no steps.");
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var autoCounters = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in Walk(_root))
        {
            if (node.HasExplicitName)
            {
                Claim(node.Name, node.Path);
            }

            if (node is IfNode ifNode)
            {
                foreach (var branch in ifNode.Branches.Skip(1))
                {
                    Claim(branch.Name, ifNode.Path);
                }

                foreach (var branch in ifNode.Branches.Where(b => b.Nodes.Count == 0))
                {
                    Error(ErrorCodes.EmptyWorkflow, ifNode.Path, $"Branch '{branch.Name}' of if '{ifNode.Name}' has no steps.");
                }

                if (ifNode.Else is { Count: 0 })
                {
                    Error(ErrorCodes.EmptyWorkflow, ifNode.Path, $"The Else branch of if '{ifNode.Name}' has no steps.");
                }
            }

            if (node is ForEachNode forEach)
            {
                ValidateTemplate(forEach);
            }
        }

        foreach (var node in Walk(_root).Where(n => !n.HasExplicitName))
        {
            string candidate;
            do
            {
                var next = autoCounters.GetValueOrDefault(node.AutoNamePrefix) + 1;
                autoCounters[node.AutoNamePrefix] = next;
                candidate = $"{node.AutoNamePrefix}-{next}";
            }
            while (names.ContainsKey(candidate));

            node.Name = candidate;
            names[candidate] = node.Path;
        }

        void Claim(string name, string path)
        {
            if (name.Length == 0)
            {
                return;
            }

            if (names.TryGetValue(name, out var first))
            {
                Error(ErrorCodes.DuplicateStepName, path, $"The name '{name}' is already used by the step at {first}; step names must be unique in a workflow.");
            }
            else
            {
                names[name] = path;
            }
        }
    }

    private void ValidateTemplate(ForEachNode node)
    {
        try
        {
            node.Template = node.BuildBody(Id, CronflowJson.NullElement);
        }
        catch (WorkflowDefinitionException ex)
        {
            _errors.AddRange(ex.Errors);
        }
        catch (ForEachBodyException)
        {
            // A body that cannot be built for a default item is checked per item when the run builds it.
        }
    }

    /// <summary>
    /// Orders problems as they appear in the definition: workflow-level problems (id, options, triggers) first,
    /// then by node path (outer before inner, branches in order). The sort is stable.
    /// </summary>
    internal static List<DefinitionError> InDefinitionOrder(IEnumerable<DefinitionError> errors) =>
        errors.Select((error, index) => (error, index))
            .OrderBy(e => e.error.Path.Length > 0 && char.IsDigit(e.error.Path[0]) ? 1 : 0)
            .ThenBy(e => e.error.Path, PathComparer.Instance)
            .ThenBy(e => e.index)
            .Select(e => e.error)
            .ToList();

    /// <summary>Compares node paths segment by segment: numbers numerically, <c>b0</c> &lt; <c>b1</c> &lt; <c>else</c>.</summary>
    private sealed class PathComparer : IComparer<string>
    {
        public static PathComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            if (x is null || y is null || x.Length == 0 || !char.IsDigit(x[0]) || y.Length == 0 || !char.IsDigit(y[0]))
            {
                return 0;
            }

            var a = x.Split('/', '#');
            var b = y.Split('/', '#');
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                var order = Rank(a[i]).CompareTo(Rank(b[i]));
                if (order != 0)
                {
                    return order;
                }
            }

            return a.Length.CompareTo(b.Length);
        }

        private static long Rank(string segment) => segment switch
        {
            "else" => int.MaxValue,
            "each" => 0,
            _ when segment.StartsWith('b') && int.TryParse(segment.AsSpan(1), out var branch) => branch,
            _ when long.TryParse(segment, out var index) => index,
            _ => int.MaxValue + 1L,
        };
    }

    /// <summary>Every node of a tree, depth first, not descending into for-each bodies (their own scope).</summary>
    internal static IEnumerable<Node> Walk(IEnumerable<Node> nodes)
    {
        foreach (var node in nodes)
        {
            yield return node;
            foreach (var child in node.ChildLists.SelectMany(Walk))
            {
                yield return child;
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private WorkflowBuilder AddStep(string name, StepBody? body, bool isAction)
    {
        EnsureOpen();
        var path = NextPath;
        CheckName(name, path);
        if (name is null)
        {
            Error(ErrorCodes.InvalidStepName, path, $"A{(isAction ? "n action" : " step")} has no name.");
        }

        if (body is null)
        {
            Error(ErrorCodes.MissingDelegate, path, $"The body of {(isAction ? "action" : "step")} '{name}' is null.");
        }

        CurrentList.Add(new StepNode(path, name ?? "", body ?? (_ => Task.FromResult<object?>(null)), isAction));
        return this;
    }

    private WorkflowBuilder SetOnError(StepBody? handler)
    {
        EnsureOpen();
        var target = Target("OnError");
        if (target is null)
        {
            return this;
        }

        if (handler is null)
        {
            Error(ErrorCodes.MissingDelegate, target.Path, $"The OnError handler of '{Label(target)}' is null.");
            return this;
        }

        if (target.Policy.OnError is not null)
        {
            Error(ErrorCodes.DuplicateModifier, target.Path, $"'{Label(target)}' already has an OnError handler.");
        }

        target.Policy.OnError = handler;
        return this;
    }

    private Node? Target(string modifier)
    {
        var list = CurrentList;
        if (list.Count == 0)
        {
            Error(ErrorCodes.ModifierWithoutStep, NextPath, $"{modifier} has no step or block before it to apply to.");
            return null;
        }

        return list[^1];
    }

    private List<StepBody> WrapBranches(Func<StepContext, Task<object?>>[]? branches, string path, string kind)
    {
        var bodies = new List<StepBody>();
        for (var i = 0; i < (branches?.Length ?? 0); i++)
        {
            var branch = branches![i];
            if (branch is null)
            {
                Error(ErrorCodes.MissingDelegate, $"{path}/{i}", $"Branch {i} of the {kind} block is null.");
                continue;
            }

            bodies.Add(ctx => branch(ctx));
        }

        return bodies;
    }

    private void CheckName(string? name, string path, string? requiredFor = null)
    {
        if (name is null)
        {
            if (requiredFor is not null)
            {
                Error(ErrorCodes.InvalidStepName, path, $"{requiredFor} has no name.");
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Contains('/', StringComparison.Ordinal) || name.Contains('#', StringComparison.Ordinal))
        {
            Error(ErrorCodes.InvalidStepName, path, $"The name '{name}' must be 1 to {MaxNameLength} characters, not blank, without '/' or '#'.");
        }
    }

    private void CheckTimeout(TimeSpan timeout, string path, string what)
    {
        if (timeout <= TimeSpan.Zero)
        {
            Error(ErrorCodes.InvalidTimeout, path, $"{what} is {timeout}; it must be positive.");
        }
    }

    private void EnsureOpen()
    {
        if (_frozen)
        {
            throw new InvalidOperationException(
                $"{ErrorCodes.DefinitionFrozen}: workflow '{Id}' was already built; a definition cannot change once built or registered. Define a new workflow instead.");
        }
    }

    private void Error(string code, string path, string message) => _errors.Add(new DefinitionError(code, Id, path, message));

    private static string Label(Node node) => node.HasExplicitName ? node.Name : $"{node.Kind} at {node.Path}";

    private static StepBody Wrap<T>(Func<StepContext, T> body) => ctx => Task.FromResult<object?>(body(ctx));

    private static StepBody Wrap<T>(Func<StepContext, Task<T>> body) => async ctx => await body(ctx).ConfigureAwait(false);

    private static StepBody Wrap(Func<StepContext, Task> body) => async ctx =>
    {
        await body(ctx).ConfigureAwait(false);
        return null;
    };

    private static StepBody Wrap(Action<StepContext> body) => ctx =>
    {
        body(ctx);
        return Task.FromResult<object?>(null);
    };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex WorkflowIdPattern();

    private sealed class IfFrame(IfNode node)
    {
        public IfNode Node { get; } = node;

        public List<Node> Current { get; private set; } = [];

        public string Prefix { get; private set; } = "";

        public bool SawElse { get; private set; }

        public void Open(string name, Func<FlowContext, bool> condition)
        {
            var segment = $"b{Node.Branches.Count}";
            Current = [];
            Prefix = $"{Node.Path}/{segment}/";
            Node.Branches.Add(new IfBranch(name, condition, Current, segment));
        }

        public void OpenElse()
        {
            SawElse = true;
            Current = [];
            Prefix = $"{Node.Path}/else/";
            Node.Else = Current;
        }
    }
}
