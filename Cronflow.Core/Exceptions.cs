namespace Cronflow;

/// <summary>The root of every exception Cronflow throws.</summary>
public class CronflowException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CronflowException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CronflowException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public CronflowException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>One problem found in a workflow definition.</summary>
/// <param name="Code">A stable code such as <c>CRONFLOW0003</c>, catalogued in <c>docs/errors.md</c>.</param>
/// <param name="WorkflowId">The workflow the problem is in.</param>
/// <param name="Path">Where in the definition: a node path such as <c>3/b0/1</c>, or a step name.</param>
/// <param name="Message">A plain sentence describing the problem.</param>
public sealed record DefinitionError(string Code, string WorkflowId, string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code} {WorkflowId} at {Path}: {Message}";
}

/// <summary>A workflow definition (or a set of them) is invalid. <see cref="Errors"/> lists every problem found.</summary>
public sealed class WorkflowDefinitionException : CronflowException
{
    /// <summary>Creates the exception from the problems found.</summary>
    public WorkflowDefinitionException(IReadOnlyList<DefinitionError> errors)
        : base(Format(errors)) => Errors = errors;

    /// <summary>Every problem found, in definition order.</summary>
    public IReadOnlyList<DefinitionError> Errors { get; }

    private static string Format(IReadOnlyList<DefinitionError> errors) =>
        errors.Count == 1
            ? $"Invalid workflow definition: {errors[0]}"
            : $"Invalid workflow definition ({errors.Count} problems):{Environment.NewLine}  " +
              string.Join(Environment.NewLine + "  ", errors);
}

/// <summary>No workflow with the given id is registered.</summary>
public sealed class WorkflowNotFoundException : CronflowException
{
    /// <summary>Creates the exception for <paramref name="workflowId"/>.</summary>
    public WorkflowNotFoundException(string workflowId)
        : base($"No workflow with id '{workflowId}' is registered.") => WorkflowId = workflowId;

    /// <summary>The id that was asked for.</summary>
    public string WorkflowId { get; }
}

/// <summary>No run with the given id exists.</summary>
public sealed class RunNotFoundException : CronflowException
{
    /// <summary>Creates the exception for <paramref name="runId"/>.</summary>
    public RunNotFoundException(string runId)
        : base($"No run with id '{runId}' exists.") => RunId = runId;

    /// <summary>The id that was asked for.</summary>
    public string RunId { get; }
}

/// <summary>A run id was reused for a different workflow or payload.</summary>
public sealed class RunConflictException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public RunConflictException(string runId, string reason)
        : base($"Run '{runId}' already exists {reason}.") => RunId = runId;

    /// <summary>The conflicting run id.</summary>
    public string RunId { get; }
}

/// <summary>A <see cref="FlowValue"/> could not be converted to the requested type.</summary>
public sealed class FlowValueException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public FlowValueException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>A run did not finish within the time a caller was prepared to wait.</summary>
public sealed class RunWaitTimeoutException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public RunWaitTimeoutException(string runId, TimeSpan timeout, RunStatus lastStatus)
        : base($"Run '{runId}' did not finish within {timeout} (last status: {lastStatus}).")
    {
        RunId = runId;
        LastStatus = lastStatus;
    }

    /// <summary>The run waited for.</summary>
    public string RunId { get; }

    /// <summary>The status last seen.</summary>
    public RunStatus LastStatus { get; }
}

/// <summary>A value is over one of the configured size limits.</summary>
public sealed class PayloadTooLargeException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public PayloadTooLargeException(string what, int size, int limit, string limitName)
        : base($"{what} is {size} bytes, over the limit of {limit} bytes ({limitName}).")
    {
        Size = size;
        Limit = limit;
        LimitName = limitName;
    }

    /// <summary>The size of the rejected value, in UTF-8 bytes.</summary>
    public int Size { get; }

    /// <summary>The limit in force, in bytes.</summary>
    public int Limit { get; }

    /// <summary>The name of the option that sets the limit.</summary>
    public string LimitName { get; }
}

/// <summary>Thrown inside a step body when the step is cancelled because it timed out.</summary>
public sealed class StepTimeoutException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public StepTimeoutException(string message)
        : base(message)
    {
    }
}

/// <summary>A step returned a value that cannot be serialized to JSON.</summary>
public sealed class StepOutputException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public StepOutputException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>A resume token is unknown, was already used, or its pause timed out.</summary>
public sealed class ResumeTokenNotFoundException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public ResumeTokenNotFoundException()
        : base("No run is waiting on this resume token: it is unknown, was already used, or its pause timed out.")
    {
    }
}

/// <summary>A run's definition changed incompatibly while the run was in flight.</summary>
public sealed class WorkflowVersionMismatchException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public WorkflowVersionMismatchException(string workflowId, string runFingerprint, string hostFingerprint)
        : base($"{ErrorCodes.VersionMismatch}: workflow '{workflowId}' changed while a run was in flight: the run started with definition {runFingerprint}, the host has {hostFingerprint}.")
    {
        WorkflowId = workflowId;
        RunFingerprint = runFingerprint;
        HostFingerprint = hostFingerprint;
    }

    /// <summary>The error code, <see cref="ErrorCodes.VersionMismatch"/>.</summary>
    public string Code { get; } = ErrorCodes.VersionMismatch;

    /// <summary>The workflow.</summary>
    public string WorkflowId { get; }

    /// <summary>The fingerprint the run started with.</summary>
    public string RunFingerprint { get; }

    /// <summary>The fingerprint of the definition the host has now.</summary>
    public string HostFingerprint { get; }
}
