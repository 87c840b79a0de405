namespace Cronflow;

/// <summary>Modifiers: Retry, Timeout and OnError, applied to the last node of the current list.</summary>
internal sealed partial class WorkflowBuilder
{
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
            _validator.Error(ErrorCodes.InvalidRetry, target.Path, $"Retry of '{Label(target)}' has {options.Attempts} attempts; it needs at least 1.");
        }

        if (options.Backoff is { } backoff && (backoff.Delay < TimeSpan.Zero || backoff.Max < TimeSpan.Zero))
        {
            _validator.Error(ErrorCodes.InvalidRetry, target.Path, $"Retry of '{Label(target)}' has a negative backoff delay.");
        }

        if (options.RetryOn.Any(t => t is null || !typeof(Exception).IsAssignableFrom(t)))
        {
            _validator.Error(ErrorCodes.InvalidRetry, target.Path, $"Retry of '{Label(target)}' lists a type that is not an exception.");
        }

        if (target.Policy.Retry is not null)
        {
            _validator.Error(ErrorCodes.DuplicateModifier, target.Path, $"'{Label(target)}' already has a Retry.");
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

        _validator.CheckTimeout(timeout, target.Path, $"The timeout of '{Label(target)}'");
        if (target.Policy.Timeout is not null)
        {
            _validator.Error(ErrorCodes.DuplicateModifier, target.Path, $"'{Label(target)}' already has a Timeout.");
        }

        target.Policy.Timeout = timeout;
        return this;
    }

    public IWorkflowBuilder OnError<T>(Func<StepContext, T> handler) => SetOnError(handler is null ? null : Wrap(handler));

    public IWorkflowBuilder OnError<T>(Func<StepContext, Task<T>> handler) => SetOnError(handler is null ? null : Wrap(handler));

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
            _validator.Error(ErrorCodes.MissingDelegate, target.Path, $"The OnError handler of '{Label(target)}' is null.");
            return this;
        }

        if (target.Policy.OnError is not null)
        {
            _validator.Error(ErrorCodes.DuplicateModifier, target.Path, $"'{Label(target)}' already has an OnError handler.");
        }

        target.Policy.OnError = handler;
        return this;
    }

    private Node? Target(string modifier)
    {
        var list = CurrentList;
        if (list.Count == 0)
        {
            _validator.Error(ErrorCodes.ModifierWithoutStep, NextPath, $"{modifier} has no step or block before it to apply to.");
            return null;
        }

        return list[^1];
    }

    private static string Label(Node node) => node.HasExplicitName ? node.Name : $"{node.Kind} at {node.Path}";
}
