namespace Cronflow;

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
