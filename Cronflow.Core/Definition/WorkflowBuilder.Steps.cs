namespace Cronflow;

/// <summary>Steps, actions and durable waits: the nodes that hold a body or wait for time or an event.</summary>
internal sealed partial class WorkflowBuilder
{
    public IWorkflowBuilder Step<T>(string name, Func<StepContext, T> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Step<T>(string name, Func<StepContext, Task<T>> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Step(string name, Func<StepContext, Task> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Step(string name, Action<StepContext> body) => AddStep(name, body is null ? null : Wrap(body), isAction: false);

    public IWorkflowBuilder Action<T>(string name, Func<StepContext, T> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    public IWorkflowBuilder Action<T>(string name, Func<StepContext, Task<T>> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    public IWorkflowBuilder Action(string name, Func<StepContext, Task> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    public IWorkflowBuilder Action(string name, Action<StepContext> body) => AddStep(name, body is null ? null : Wrap(body), isAction: true);

    public IWorkflowBuilder Sleep(TimeSpan duration)
    {
        EnsureOpen();
        var path = NextPath;
        _validator.CheckTimeout(duration, path, "The sleep duration");
        CurrentList.Add(new SleepNode(path, duration));
        return this;
    }

    public IWorkflowBuilder WaitForEvent(string eventName, TimeSpan? timeout = null)
    {
        EnsureOpen();
        var path = NextPath;
        if (string.IsNullOrWhiteSpace(eventName) || eventName.Length > 200)
        {
            _validator.Error(ErrorCodes.InvalidEventName, path, $"The event name '{eventName}' must be 1 to 200 characters.");
        }

        if (timeout is { } t)
        {
            _validator.CheckTimeout(t, path, "The event wait's timeout");
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
        _validator.CheckName(options.Name, path);
        if (options.Timeout is { } timeout)
        {
            _validator.CheckTimeout(timeout, path, "The human-in-the-loop timeout");
        }

        StepBody? onPause = options.OnPause is { } pause ? async ctx => { await pause(ctx, ctx.ResumeToken ?? "").ConfigureAwait(false); return null; } : null;
        StepBody? onTimeout = options.OnTimeout is { } expired ? Wrap(expired) : null;
        CurrentList.Add(new HumanNode(path, options.Name, options, onPause, onTimeout));
        return this;
    }

    private WorkflowBuilder AddStep(string name, StepBody? body, bool isAction)
    {
        EnsureOpen();
        var path = NextPath;
        _validator.CheckName(name, path);
        if (name is null)
        {
            _validator.Error(ErrorCodes.InvalidStepName, path, $"A{(isAction ? "n action" : " step")} has no name.");
        }

        if (body is null)
        {
            _validator.Error(ErrorCodes.MissingDelegate, path, $"The body of {(isAction ? "action" : "step")} '{name}' is null.");
        }

        CurrentList.Add(new StepNode(path, name ?? "", body ?? (_ => Task.FromResult<object?>(null)), isAction));
        return this;
    }

    // Every delegate shape a user can pass becomes one StepBody (used by all parts of the builder).
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
}
