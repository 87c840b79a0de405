namespace Cronflow;

/// <summary>A run was cancelled: by a <c>Cancel</c> step, by <see cref="ICronflowClient.CancelAsync"/>, or by terminating its orchestration. A cancelled run reports it as its error; a subflow step whose run was cancelled fails with it.</summary>
/// <remarks>
/// Runs report failures as data (<see cref="StepError.ErrorType"/> holds this type's full name); the type exists so that
/// retry filters, <c>TaskFailureDetails.IsCausedBy</c> and <c>catch</c> blocks can name it.
/// </remarks>
public sealed class RunCancelledException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public RunCancelledException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RunCancelledException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public RunCancelledException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
