namespace Cronflow;

/// <summary>A step returned a value that cannot be serialized to JSON.</summary>
public sealed class StepOutputException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public StepOutputException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
