namespace Cronflow;

/// <summary>A <see cref="FlowValue"/> could not be converted to the requested type.</summary>
public sealed class FlowValueException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public FlowValueException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
