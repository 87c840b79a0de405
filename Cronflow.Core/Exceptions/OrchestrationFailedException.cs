namespace Cronflow;

/// <summary>The engine failed a run's orchestration for a reason outside the workflow (an unexpected error in the interpreter, or a failure the Durable Task backend reported without an exception type).</summary>
/// <remarks>
/// Runs report failures as data (<see cref="StepError.ErrorType"/> holds this type's full name); the type exists so that
/// retry filters, <c>TaskFailureDetails.IsCausedBy</c> and <c>catch</c> blocks can name it.
/// </remarks>
public sealed class OrchestrationFailedException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public OrchestrationFailedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public OrchestrationFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public OrchestrationFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
