namespace Cronflow;

/// <summary>A run (or an orchestration it started) is still going, so it cannot be purged; cancel it or let it end first.</summary>
public sealed class RunNotEndedException : CronflowException
{
    /// <summary>Creates the exception for <paramref name="runId"/>; <paramref name="reason"/> says what is still going.</summary>
    public RunNotEndedException(string runId, string reason)
        : base($"Run '{runId}' cannot be purged: {reason}.")
    {
        RunId = runId;
        Reason = reason;
    }

    /// <summary>The run that was asked for.</summary>
    public string RunId { get; }

    /// <summary>What is still going, such as "it is Running; cancel it or let it end first".</summary>
    public string Reason { get; }
}
