using System.Text.Json;

namespace Cronflow;

/// <summary>Control flow: parallel and race blocks, if branches, for-each, subflows, while loops and cancellation.</summary>
internal sealed partial class WorkflowBuilder
{
    public IWorkflowBuilder Parallel(params Func<StepContext, Task<object?>>[] branches) => Parallel(new ParallelOptions(), branches);

    public IWorkflowBuilder Parallel(ParallelOptions options, params Func<StepContext, Task<object?>>[] branches)
    {
        EnsureOpen();
        options ??= new ParallelOptions();
        var path = NextPath;
        var bodies = WrapBranches(branches, path, "parallel");
        if (bodies.Count == 0)
        {
            _validator.Error(ErrorCodes.EmptyParallel, path, "The parallel block has no branches.");
        }

        if (options.MaxConcurrency is < 1)
        {
            _validator.Error(ErrorCodes.InvalidConcurrency, path, $"MaxConcurrency is {options.MaxConcurrency}; it must be at least 1.");
        }

        _validator.CheckName(options.Name, path);
        var node = new ParallelNode(path, options.Name, bodies, options.MaxConcurrency);
        if (options.Timeout is { } timeout)
        {
            _validator.CheckTimeout(timeout, path, "The parallel block's timeout");
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
            _validator.Error(ErrorCodes.EmptyRace, path, "The race has no branches; a race needs at least one.");
        }

        _validator.CheckName(options.Name, path);
        var node = new RaceNode(path, options.Name, bodies);
        if (options.Timeout is { } timeout)
        {
            _validator.CheckTimeout(timeout, path, "The race's timeout");
            node.Policy.Timeout = timeout;
        }

        CurrentList.Add(node);
        return this;
    }

    public IWorkflowBuilder If(string name, Func<FlowContext, bool> condition)
    {
        EnsureOpen();
        var path = NextPath;
        _validator.CheckName(name, path, "An if");
        if (condition is null)
        {
            _validator.Error(ErrorCodes.MissingDelegate, path, $"The condition of if '{name}' is null.");
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
            _validator.Error(ErrorCodes.ElseIfWithoutIf, NextPath, $"ElseIf '{name}' has no open If before it.");
            return this;
        }

        var frame = _ifs.Peek();
        _validator.CheckName(name, frame.Node.Path, "An else-if");
        if (frame.SawElse)
        {
            _validator.Error(ErrorCodes.BranchAfterElse, frame.Node.Path, $"ElseIf '{name}' comes after the Else of if '{frame.Node.Name}'.");
        }

        if (condition is null)
        {
            _validator.Error(ErrorCodes.MissingDelegate, frame.Node.Path, $"The condition of else-if '{name}' is null.");
        }

        frame.Open(name ?? "", condition ?? (_ => false));
        return this;
    }

    public IWorkflowBuilder Else()
    {
        EnsureOpen();
        if (_ifs.Count == 0)
        {
            _validator.Error(ErrorCodes.ElseWithoutIf, NextPath, "Else has no open If before it.");
            return this;
        }

        var frame = _ifs.Peek();
        if (frame.SawElse)
        {
            _validator.Error(ErrorCodes.BranchAfterElse, frame.Node.Path, $"If '{frame.Node.Name}' has two Else branches.");
        }

        frame.OpenElse();
        return this;
    }

    public IWorkflowBuilder EndIf()
    {
        EnsureOpen();
        if (_ifs.Count == 0)
        {
            _validator.Error(ErrorCodes.EndIfWithoutIf, NextPath, "EndIf has no open If before it.");
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
        _validator.CheckName(name, path, "A for-each");
        if (items is null)
        {
            _validator.Error(ErrorCodes.MissingDelegate, path, $"The item selector of for-each '{name}' is null.");
        }

        if (body is null)
        {
            _validator.Error(ErrorCodes.MissingDelegate, path, $"The body of for-each '{name}' is null.");
        }

        if (options.MaxConcurrency is < 1)
        {
            _validator.Error(ErrorCodes.InvalidConcurrency, path, $"MaxConcurrency is {options.MaxConcurrency}; it must be at least 1.");
        }

        if (options.ChunkSize < 1)
        {
            _validator.Error(ErrorCodes.InvalidConcurrency, path, $"ChunkSize is {options.ChunkSize}; it must be at least 1.");
        }

        Func<FlowContext, IReadOnlyList<JsonElement>> select = context =>
            (items?.Invoke(context) ?? []).Select(item => CronflowJson.ToElement(item)).ToList();
        ForEachBodyFactory build = (node, workflowId, json) =>
        {
            var builder = ForBody(workflowId, node.BodyPrefix);
            try
            {
                var item = json.ValueKind == JsonValueKind.Null ? default! : json.Deserialize<TItem>(CronflowJson.Options)!;
                body?.Invoke(item, builder);
            }
            catch (Exception ex) when (ex is not WorkflowDefinitionException)
            {
                throw new ForEachBodyException($"The body of for-each '{node.Name}' threw while building its steps for an item: {ex.Message}", ex);
            }

            return builder.BuildBody(node.Name, node.Path);
        };

        CurrentList.Add(new ForEachNode(path, name ?? "", select, build, options));
        return this;
    }

    public IWorkflowBuilder Subflow(string name, string workflowId, Func<FlowContext, object?>? input = null)
    {
        EnsureOpen();
        var path = NextPath;
        _validator.CheckName(name, path);
        if (name is null)
        {
            _validator.Error(ErrorCodes.InvalidStepName, path, "A subflow has no name.");
        }

        if (string.IsNullOrWhiteSpace(workflowId))
        {
            _validator.Error(ErrorCodes.UnknownSubflow, path, $"Subflow '{name}' names no workflow.");
        }

        CurrentList.Add(new SubflowNode(path, name ?? "", workflowId ?? "", input));
        return this;
    }

    public IWorkflowBuilder While<T>(string name, Func<FlowContext, bool> condition, Func<StepContext, Task<T>> body, int maxIterations = 1000)
    {
        EnsureOpen();
        var path = NextPath;
        _validator.CheckName(name, path);
        if (name is null)
        {
            _validator.Error(ErrorCodes.InvalidStepName, path, "A while loop has no name.");
        }

        if (condition is null || body is null)
        {
            _validator.Error(ErrorCodes.MissingDelegate, path, $"The {(condition is null ? "condition" : "body")} of while '{name}' is null.");
        }

        if (maxIterations < 1)
        {
            _validator.Error(ErrorCodes.InvalidWhile, path, $"While '{name}' has maxIterations {maxIterations}; it must be at least 1.");
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

    private List<StepBody> WrapBranches(Func<StepContext, Task<object?>>[]? branches, string path, string kind)
    {
        var bodies = new List<StepBody>();
        for (var i = 0; i < (branches?.Length ?? 0); i++)
        {
            var branch = branches![i];
            if (branch is null)
            {
                _validator.Error(ErrorCodes.MissingDelegate, $"{path}/{i}", $"Branch {i} of the {kind} block is null.");
                continue;
            }

            bodies.Add(ctx => branch(ctx));
        }

        return bodies;
    }

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
