namespace Cronflow;

/// <summary>No run with the given id exists.</summary>
public sealed class RunNotFoundException : CronflowException
{
    /// <summary>Creates the exception for <paramref name="runId"/>.</summary>
    public RunNotFoundException(string runId)
        : base($"No run with id '{runId}' exists.") => RunId = runId;

    /// <summary>The id that was asked for.</summary>
    public string RunId { get; }
}
