namespace Cronflow;

/// <summary>A <c>Subflow</c>'s run failed or was cancelled without an error of its own. When the subflow's run reports an error, the step keeps that error's type and code instead.</summary>
/// <remarks>
/// Runs report failures as data (<see cref="StepError.ErrorType"/> holds this type's full name); the type exists so that
/// retry filters, <c>TaskFailureDetails.IsCausedBy</c> and <c>catch</c> blocks can name it.
/// </remarks>
public sealed class SubflowFailedException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public SubflowFailedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SubflowFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public SubflowFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
