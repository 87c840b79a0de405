namespace Cronflow;

/// <summary>
/// Describes a workflow as a fluent chain. Create one with <see cref="Workflow.Define(string, Action{WorkflowOptions}?)"/>.
/// Problems are collected as you go and reported all at once by <see cref="Build"/> (or at registration).
/// </summary>
public interface IWorkflowBuilder
{
    /// <summary>The workflow id (for a for-each body, the id of the workflow it belongs to).</summary>
    string Id { get; }

    // ---- triggers -------------------------------------------------------------------------

    /// <summary>Starts a run for each HTTP delivery to <c>/api</c> + <paramref name="path"/>.</summary>
    IWorkflowBuilder OnWebhook(string path, Action<WebhookOptions>? configure = null);

    /// <summary>Starts a run at each occurrence of a cron expression (5 or 6 fields), UTC unless a time zone id is given.</summary>
    IWorkflowBuilder OnSchedule(string cron, string? timeZone = null);

    /// <summary>Starts a run every <paramref name="interval"/>, aligned on multiples of the interval since the Unix epoch (UTC).</summary>
    IWorkflowBuilder OnInterval(TimeSpan interval);

    /// <summary>Starts a run whenever <paramref name="eventName"/> is published; the run's payload is the event payload.</summary>
    IWorkflowBuilder OnEvent(string eventName);

    // ---- steps ----------------------------------------------------------------------------

    /// <summary>A step whose output becomes <c>Last</c> and <c>Steps[name]</c>.</summary>
    IWorkflowBuilder Step<T>(string name, Func<StepContext, T> body);

    /// <summary>An asynchronous step whose output becomes <c>Last</c> and <c>Steps[name]</c>.</summary>
    IWorkflowBuilder Step<T>(string name, Func<StepContext, Task<T>> body);

    /// <summary>An asynchronous step with no output (its output is JSON null).</summary>
    IWorkflowBuilder Step(string name, Func<StepContext, Task> body);

    /// <summary>A synchronous step with no output (its output is JSON null).</summary>
    IWorkflowBuilder Step(string name, Action<StepContext> body);

    /// <summary>A side effect that does not block the next step and leaves <c>Last</c> unchanged. The run waits for it before it ends; its failure is recorded but does not fail the run.</summary>
    IWorkflowBuilder Action<T>(string name, Func<StepContext, T> body);

    /// <inheritdoc cref="Action{T}(string, Func{StepContext, T})"/>
    IWorkflowBuilder Action<T>(string name, Func<StepContext, Task<T>> body);

    /// <inheritdoc cref="Action{T}(string, Func{StepContext, T})"/>
    IWorkflowBuilder Action(string name, Func<StepContext, Task> body);

    /// <inheritdoc cref="Action{T}(string, Func{StepContext, T})"/>
    IWorkflowBuilder Action(string name, Action<StepContext> body);

    // ---- blocks ---------------------------------------------------------------------------

    /// <summary>Runs the branches at once; the output is an array of their outputs in branch order. The first failure fails the block.</summary>
    IWorkflowBuilder Parallel(params Func<StepContext, Task<object?>>[] branches);

    /// <summary>Runs the branches with options (a sliding-window <see cref="ParallelOptions.MaxConcurrency"/>, a block timeout, a name).</summary>
    IWorkflowBuilder Parallel(ParallelOptions options, params Func<StepContext, Task<object?>>[] branches);

    /// <summary>Runs the branches at once; the first to succeed wins and its output becomes <c>Last</c>. Fails only if every branch fails.</summary>
    IWorkflowBuilder Race(params Func<StepContext, Task<object?>>[] branches);

    /// <summary>A race with options (a timeout, a name).</summary>
    IWorkflowBuilder Race(RaceOptions options, params Func<StepContext, Task<object?>>[] branches);

    /// <summary>Opens a conditional block: the steps up to the next <c>ElseIf</c>, <c>Else</c> or <c>EndIf</c> run only when <paramref name="condition"/> holds.</summary>
    IWorkflowBuilder If(string name, Func<FlowContext, bool> condition);

    /// <summary>An alternative branch of the open <c>If</c>, taken when no earlier branch matched and <paramref name="condition"/> holds.</summary>
    IWorkflowBuilder ElseIf(string name, Func<FlowContext, bool> condition);

    /// <summary>The branch of the open <c>If</c> taken when no other branch matched.</summary>
    IWorkflowBuilder Else();

    /// <summary>Closes the open <c>If</c>.</summary>
    IWorkflowBuilder EndIf();

    /// <summary>
    /// Runs the sub-flow built by <paramref name="body"/> once per item (items in flight bounded by
    /// <see cref="ForEachOptions.MaxConcurrency"/>). Inside the sub-flow <c>Last</c> starts as the item and advances step by step.
    /// The output is the array of each item's last output, in item order.
    /// </summary>
    IWorkflowBuilder ForEach<TItem>(string name, Func<FlowContext, IEnumerable<TItem>> items, Action<TItem, IWorkflowBuilder> body, ForEachOptions? options = null);

    // ---- durable waits and composition ----------------------------------------------------

    /// <summary>Pauses the run for <paramref name="duration"/> on a durable timer (it survives restarts). <c>Last</c> is unchanged.</summary>
    IWorkflowBuilder Sleep(TimeSpan duration);

    /// <summary>
    /// Waits for <paramref name="eventName"/> to be raised for this run (<see cref="ICronflowClient.RaiseEventAsync"/>);
    /// its payload becomes the output. When <paramref name="timeout"/> passes first, the step fails with a timeout
    /// error (code CRONFLOW1002), which <c>OnError</c> can turn into a fallback value. Events raised early are kept.
    /// </summary>
    IWorkflowBuilder WaitForEvent(string eventName, TimeSpan? timeout = null);

    /// <summary>
    /// Pauses for a human decision. The run gets its own resume token, handed to <see cref="HumanInTheLoopOptions.OnPause"/>;
    /// <see cref="ICronflowClient.ResumeAsync"/> with that token continues the run. The output is
    /// <c>{ approved, reason, approvedBy, approvedAt, status, timedOut }</c>.
    /// </summary>
    IWorkflowBuilder HumanInTheLoop(Action<HumanInTheLoopOptions> configure);

    /// <summary>Runs another registered workflow as a sub-orchestration; its output becomes <c>Last</c>, its failure is this step's failure.</summary>
    /// <param name="name">The step's name.</param>
    /// <param name="workflowId">The workflow to run (checked at registration).</param>
    /// <param name="input">Selects its payload (pure, evaluated in the orchestration). Default: <c>Last</c>.</param>
    IWorkflowBuilder Subflow(string name, string workflowId, Func<FlowContext, object?>? input = null);

    /// <summary>
    /// Runs <paramref name="body"/> as a step while <paramref name="condition"/> holds (checked before each iteration,
    /// with <c>Last</c> the previous iteration's output). More than <paramref name="maxIterations"/> iterations fail the run.
    /// A top-level loop continues as new every 100 iterations, so its history stays small; pending events are kept.
    /// </summary>
    IWorkflowBuilder While<T>(string name, Func<FlowContext, bool> condition, Func<StepContext, Task<T>> body, int maxIterations = 1000);

    /// <summary>Ends the run as <see cref="RunStatus.Cancelled"/> with <paramref name="reason"/> (typically inside an <c>If</c>).</summary>
    IWorkflowBuilder Cancel(string reason);

    // ---- modifiers of the preceding step or block ----------------------------------------

    /// <summary>Retries the preceding step or block: <paramref name="attempts"/> in total, with an optional backoff.</summary>
    IWorkflowBuilder Retry(int attempts, Backoff? backoff = null);

    /// <summary>Retries the preceding step or block, only for failures caused by the given exception types.</summary>
    IWorkflowBuilder Retry(int attempts, Backoff? backoff, params Type[] retryOn);

    /// <summary>Retries the preceding step or block with a full policy.</summary>
    IWorkflowBuilder Retry(RetryOptions options);

    /// <summary>Fails the preceding step or block with a timeout error when it takes longer than <paramref name="timeout"/> (per attempt).</summary>
    IWorkflowBuilder Timeout(TimeSpan timeout);

    /// <summary>Handles the failure of the preceding step or block: the handler's value becomes its output and the run continues.</summary>
    IWorkflowBuilder OnError<T>(Func<StepContext, T> handler);

    /// <inheritdoc cref="OnError{T}(Func{StepContext, T})"/>
    IWorkflowBuilder OnError<T>(Func<StepContext, Task<T>> handler);

    // ---- result ---------------------------------------------------------------------------

    /// <summary>Validates the definition and freezes it.</summary>
    /// <exception cref="WorkflowDefinitionException">Every problem found.</exception>
    WorkflowDefinition Build();
}
