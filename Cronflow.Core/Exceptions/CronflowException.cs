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
