namespace Cronflow;

/// <summary>Thrown inside a step body when the step is cancelled because it timed out.</summary>
public sealed class StepTimeoutException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public StepTimeoutException(string message)
        : base(message)
    {
    }
}
