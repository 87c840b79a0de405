namespace Cronflow;

/// <summary>A step or branch was stopped because its enclosing block had already been decided (a race's loser, the rest of a failed <c>Parallel</c>, the work a timeout interrupted). It shows on records that were left, never as a run's own error.</summary>
/// <remarks>
/// Runs report failures as data (<see cref="StepError.ErrorType"/> holds this type's full name); the type exists so that
/// retry filters, <c>TaskFailureDetails.IsCausedBy</c> and <c>catch</c> blocks can name it.
/// </remarks>
public sealed class BlockAbandonedException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public BlockAbandonedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public BlockAbandonedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public BlockAbandonedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
