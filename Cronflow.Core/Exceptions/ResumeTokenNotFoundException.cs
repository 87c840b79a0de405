namespace Cronflow;

/// <summary>A resume token is unknown, was already used, or its pause timed out.</summary>
public sealed class ResumeTokenNotFoundException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public ResumeTokenNotFoundException()
        : base("No run is waiting on this resume token: it is unknown, was already used, or its pause timed out.")
    {
    }
}
