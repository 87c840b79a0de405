using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>
/// Builds every <see cref="StepError"/> the engine reports for failures of its own, in one place: each names a public
/// exception type of the <see cref="CronflowException"/> family (listed in <see cref="Catalogue"/>) and the code that
/// goes with it. Failures of step bodies keep the type they threw (<see cref="FromTaskFailure"/>).
/// </summary>
internal static class RunErrors
{
    /// <summary>Every exception type whose name the engine itself puts into <see cref="StepError.ErrorType"/>.</summary>
    public static IReadOnlyList<Type> Catalogue { get; } =
    [
        typeof(WorkflowNotFoundException),
        typeof(WorkflowVersionMismatchException),
        typeof(StepTimeoutException),
        typeof(PayloadTooLargeException),
        typeof(StepOutputException),
        typeof(RaceFailedException),
        typeof(SubflowFailedException),
        typeof(MaxIterationsExceededException),
        typeof(RunCancelledException),
        typeof(BlockAbandonedException),
        typeof(OrchestrationFailedException),
        typeof(InvalidResumePayloadException),
    ];

    private static readonly Dictionary<string, Type> ByName = Catalogue.ToDictionary(t => t.FullName!, StringComparer.Ordinal);

    /// <summary>The catalogue type with this full name, if the engine reports it.</summary>
    public static Type? Resolve(string errorType) => ByName.GetValueOrDefault(errorType);

    public static StepError WorkflowNotFound(string workflowId) =>
        Create<WorkflowNotFoundException>(null, null, $"No workflow with id '{workflowId}' is registered in this host.");

    public static StepError SubflowNotFound(string step, string workflowId) =>
        Create<WorkflowNotFoundException>(step, null, $"Subflow '{step}' runs workflow '{workflowId}', which is not registered in this host.");

    public static StepError VersionMismatch(WorkflowVersionMismatchException mismatch) =>
        Create<WorkflowVersionMismatchException>(null, ErrorCodes.VersionMismatch, mismatch.Message + " The run cannot be replayed safely on the new definition; see docs/versioning.md.");

    public static StepError ReplayMismatch(string step, string runId, string workflowId, string? recordedPath, string path) =>
        Create<WorkflowVersionMismatchException>(
            step,
            ErrorCodes.VersionMismatch,
            $"Run '{runId}' of workflow '{workflowId}' cannot be replayed on the current definition: its history has the result of " +
            $"step '{recordedPath}' where the definition now runs step '{path}' ('{step}'). A condition or selector changed while the run was in flight; see docs/versioning.md.");

    public static StepError ChunkNotFound(string path, string workflowId) =>
        Create<WorkflowVersionMismatchException>(null, ErrorCodes.VersionMismatch, $"No for-each at {path} in workflow '{workflowId}'.");

    public static StepError LoopNotFound(string path, string workflowId) =>
        Create<WorkflowVersionMismatchException>(null, ErrorCodes.VersionMismatch, $"No while at {path} in workflow '{workflowId}'.");

    public static StepError LoopFailed(string step, string instanceId) =>
        Create<OrchestrationFailedException>(step, ErrorCodes.StepFailed, $"While '{step}' (run '{instanceId}') failed.");

    public static StepError LoopTimeout(string step, TimeSpan? timeout) =>
        Create<StepTimeoutException>(step, ErrorCodes.Timeout, $"While '{step}' timed out after {timeout}.");

    public static StepError WorkflowTimeout(string workflowId, TimeSpan? timeout) =>
        Create<StepTimeoutException>(null, ErrorCodes.Timeout, $"Workflow '{workflowId}' timed out after {timeout}.");

    public static StepError NoRunSlot(string runId, string workflowId, TimeSpan waited) =>
        Create<StepTimeoutException>(null, ErrorCodes.Timeout, $"Run '{runId}' got no run slot from the concurrency gate of workflow '{workflowId}' in {waited}.");

    /// <summary>A step or block timed out; <paramref name="description"/> is how the node is named ("step 'x'").</summary>
    public static StepError NodeTimeout(string step, string description, TimeSpan timeout, IReadOnlyList<BranchOutcome>? branches) =>
        Create<StepTimeoutException>(step, ErrorCodes.Timeout, $"{char.ToUpperInvariant(description[0])}{description[1..]} timed out after {timeout}.") with { Branches = branches };

    public static StepError EventTimeout(string step, string eventName, TimeSpan? timeout) =>
        Create<StepTimeoutException>(step, ErrorCodes.Timeout, $"No '{eventName}' event arrived within {timeout}.");

    public static StepError RunCancelled(string? step, string reason) =>
        Create<RunCancelledException>(step, null, reason);

    public static StepError RaceFailed(string step, IReadOnlyList<BranchOutcome> outcomes) =>
        Create<RaceFailedException>(
            step,
            ErrorCodes.StepFailed,
            $"All {outcomes.Count} branches of race '{step}' failed: " +
            string.Join("; ", outcomes.Select(o => $"[{o.Index}] {o.Error?.ErrorType}: {o.Error?.Message}"))) with { Branches = outcomes };

    /// <summary>A subflow's run did not complete; it keeps the subflow's own error type and code when it has one.</summary>
    public static StepError SubflowFailed(string step, string workflowId, string instanceId, bool cancelled, StepError? inner) =>
        new()
        {
            Step = step,
            Code = inner?.Code ?? ErrorCodes.StepFailed,
            ErrorType = inner?.ErrorType is { Length: > 0 } type ? type : Name<SubflowFailedException>(),
            Message = $"Subflow '{step}' (workflow '{workflowId}', run '{instanceId}') {(cancelled ? "was cancelled" : "failed")}: {inner?.Message}",
        };

    public static StepError ChunkFailed(string step, int index) =>
        Create<OrchestrationFailedException>(step, ErrorCodes.StepFailed, $"Chunk {index} of for-each '{step}' failed.");

    public static StepError MaxIterationsExceeded(string step, int maxIterations) =>
        Create<MaxIterationsExceededException>(step, ErrorCodes.MaxIterationsExceeded, $"While '{step}' reached its limit of {maxIterations} iterations and its condition still holds.");

    public static StepError BlockAbandoned() =>
        Create<BlockAbandonedException>(null, null, "The enclosing block was already decided.");

    /// <summary>A condition or selector threw: the error keeps the type it threw, with <see cref="ErrorCodes.ConditionFailed"/>.</summary>
    public static StepError ConditionFailed(string step, string what, string description, Exception exception) => new()
    {
        Step = step,
        Code = ErrorCodes.ConditionFailed,
        ErrorType = exception.GetType().FullName!,
        Message = $"Evaluating '{what}' of {description} threw: {exception.Message}",
    };

    /// <summary>One branch of a parallel block failed: the block fails with the branch's error type.</summary>
    public static StepError ParallelBranchFailed(string branch, int index, string block, StepError error, IReadOnlyList<BranchOutcome> branches) => new()
    {
        Step = branch,
        Code = ErrorCodes.StepFailed,
        ErrorType = error.ErrorType,
        Message = $"Branch {index} of parallel block '{block}' failed: {error.Message}",
        Branches = branches,
    };

    public static StepError InvalidResumePayload(string step, InvalidResumePayloadException exception) =>
        Create<InvalidResumePayloadException>(step, ErrorCodes.StepFailed, exception.Message);

    /// <summary>An unexpected exception inside the interpreter: the run fails with it instead of the orchestration.</summary>
    public static StepError Unexpected(string workflowId, string runId, Exception exception) =>
        Create<OrchestrationFailedException>(null, null, $"Run '{runId}' of workflow '{workflowId}' failed inside the engine: {exception.GetType().FullName}: {exception.Message}");

    /// <summary>The backend failed the orchestration (reported by clients from the instance's failure details).</summary>
    public static StepError OrchestrationFailed(string? failureType, string message) =>
        new() { ErrorType = failureType ?? Name<OrchestrationFailedException>(), Message = message };

    /// <summary>The orchestration was terminated (<see cref="ICronflowClient.CancelAsync"/>).</summary>
    public static StepError Terminated(string reason) => Create<RunCancelledException>(null, null, reason);

    /// <summary>A step's activity failed: the error keeps the thrown type, with a code for Cronflow's own types.</summary>
    public static StepError FromTaskFailure(string step, TaskFailureDetails details) => new()
    {
        Step = step,
        ErrorType = details.ErrorType,
        Message = details.ErrorMessage,
        Code = Resolve(details.ErrorType) switch
        {
            { } t when t == typeof(StepTimeoutException) => ErrorCodes.Timeout,
            { } t when t == typeof(PayloadTooLargeException) => ErrorCodes.PayloadTooLarge,
            { } t when t == typeof(StepOutputException) => ErrorCodes.OutputNotSerializable,
            _ => ErrorCodes.StepFailed,
        },
    };

    private static string Name<T>()
        where T : CronflowException => typeof(T).FullName!;

    private static StepError Create<T>(string? step, string? code, string message)
        where T : CronflowException => new() { Step = step, Code = code, ErrorType = Name<T>(), Message = message };
}
