namespace Cronflow;

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
