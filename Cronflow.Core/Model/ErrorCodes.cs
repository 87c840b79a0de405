namespace Cronflow;

/// <summary>The codes of definition and run errors. Each is described in <c>docs/errors.md</c>.</summary>
public static class ErrorCodes
{
    /// <summary>The workflow id is empty or has characters other than letters, digits, '-', '_' and '.'.</summary>
    public const string InvalidWorkflowId = "CRONFLOW0001";

    /// <summary>Two registered workflows have the same id.</summary>
    public const string DuplicateWorkflowId = "CRONFLOW0002";

    /// <summary>Two steps (or blocks) of one workflow have the same name.</summary>
    public const string DuplicateStepName = "CRONFLOW0003";

    /// <summary>A step name is empty, too long, or contains '/'.</summary>
    public const string InvalidStepName = "CRONFLOW0004";

    /// <summary><c>ElseIf</c> with no open <c>If</c>.</summary>
    public const string ElseIfWithoutIf = "CRONFLOW0005";

    /// <summary><c>Else</c> with no open <c>If</c>.</summary>
    public const string ElseWithoutIf = "CRONFLOW0006";

    /// <summary><c>EndIf</c> with no open <c>If</c>.</summary>
    public const string EndIfWithoutIf = "CRONFLOW0007";

    /// <summary>An <c>If</c> is never closed by <c>EndIf</c>.</summary>
    public const string UnclosedIf = "CRONFLOW0008";

    /// <summary><c>ElseIf</c> or a second <c>Else</c> after <c>Else</c>.</summary>
    public const string BranchAfterElse = "CRONFLOW0009";

    /// <summary>A <c>Parallel</c> block has no branches.</summary>
    public const string EmptyParallel = "CRONFLOW0010";

    /// <summary>A <c>Race</c> has no branches.</summary>
    public const string EmptyRace = "CRONFLOW0011";

    /// <summary>A <c>ForEach</c> body adds no steps.</summary>
    public const string EmptyForEach = "CRONFLOW0012";

    /// <summary>A concurrency limit is below 1.</summary>
    public const string InvalidConcurrency = "CRONFLOW0013";

    /// <summary>A timeout or duration is zero or negative.</summary>
    public const string InvalidTimeout = "CRONFLOW0014";

    /// <summary>Retry attempts below 1, or an invalid backoff.</summary>
    public const string InvalidRetry = "CRONFLOW0015";

    /// <summary><c>OnError</c>, <c>Retry</c> or <c>Timeout</c> with no step or block before it.</summary>
    public const string ModifierWithoutStep = "CRONFLOW0016";

    /// <summary><c>OnError</c>, <c>Retry</c> or <c>Timeout</c> given twice for the same step.</summary>
    public const string DuplicateModifier = "CRONFLOW0017";

    /// <summary>The workflow, or one branch of an <c>If</c>, has no steps.</summary>
    public const string EmptyWorkflow = "CRONFLOW0018";

    /// <summary>A step body, branch, condition or selector is null.</summary>
    public const string MissingDelegate = "CRONFLOW0019";

    /// <summary>A cron expression or time zone is invalid.</summary>
    public const string InvalidSchedule = "CRONFLOW0020";

    /// <summary>A webhook path or method is invalid, collides with the management API, or is registered twice.</summary>
    public const string InvalidWebhook = "CRONFLOW0021";

    /// <summary>A subflow names a workflow that is not registered.</summary>
    public const string UnknownSubflow = "CRONFLOW0022";

    /// <summary>An event name is empty or invalid.</summary>
    public const string InvalidEventName = "CRONFLOW0023";

    /// <summary>A <c>While</c> loop has <c>maxIterations</c> below 1.</summary>
    public const string InvalidWhile = "CRONFLOW0024";

    /// <summary>The workflow is used after it was built and frozen.</summary>
    public const string DefinitionFrozen = "CRONFLOW0025";

    /// <summary>A step failed (run error).</summary>
    public const string StepFailed = "CRONFLOW1001";

    /// <summary>A step, block or run timed out (run error).</summary>
    public const string Timeout = "CRONFLOW1002";

    /// <summary>A run's definition changed incompatibly while it was in flight (run error).</summary>
    public const string VersionMismatch = "CRONFLOW1003";

    /// <summary>A payload or output is over a size limit (run error).</summary>
    public const string PayloadTooLarge = "CRONFLOW1004";

    /// <summary>A condition or selector threw while the run was evaluating it (run error).</summary>
    public const string ConditionFailed = "CRONFLOW1005";

    /// <summary>A step output could not be serialized to JSON (run error).</summary>
    public const string OutputNotSerializable = "CRONFLOW1006";

    /// <summary>A <c>While</c> loop reached its <c>maxIterations</c> (run error).</summary>
    public const string MaxIterationsExceeded = "CRONFLOW1007";
}
