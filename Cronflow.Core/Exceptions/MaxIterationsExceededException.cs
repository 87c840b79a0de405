namespace Cronflow;

/// <summary>A <c>While</c> loop reached its <c>maxIterations</c> while its condition still held (code <c>CRONFLOW1007</c>).</summary>
/// <remarks>
/// Runs report failures as data (<see cref="StepError.ErrorType"/> holds this type's full name); the type exists so that
/// retry filters, <c>TaskFailureDetails.IsCausedBy</c> and <c>catch</c> blocks can name it.
/// </remarks>
public sealed class MaxIterationsExceededException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public MaxIterationsExceededException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MaxIterationsExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public MaxIterationsExceededException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
