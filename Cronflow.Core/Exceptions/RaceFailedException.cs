namespace Cronflow;

/// <summary>Every branch of a <c>Race</c> failed. A run reports it with code <c>CRONFLOW1001</c>; the error's <c>Branches</c> hold each branch's error.</summary>
/// <remarks>
/// Runs report failures as data (<see cref="StepError.ErrorType"/> holds this type's full name); the type exists so that
/// retry filters, <c>TaskFailureDetails.IsCausedBy</c> and <c>catch</c> blocks can name it.
/// </remarks>
public sealed class RaceFailedException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public RaceFailedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RaceFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public RaceFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
