namespace Cronflow;

/// <summary>A run id was reused for a different workflow or payload.</summary>
public sealed class RunConflictException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public RunConflictException(string runId, string reason)
        : base($"Run '{runId}' already exists {reason}.") => RunId = runId;

    /// <summary>The conflicting run id.</summary>
    public string RunId { get; }
}
