namespace Cronflow;

/// <summary>
/// A resume payload has a field of the wrong kind (<c>approved</c> must be a boolean, <c>approvedAt</c> an ISO 8601
/// date and time, <c>reason</c> and <c>approvedBy</c> strings). <see cref="ICronflowClient.ResumeAsync"/> throws it
/// before anything is sent (HTTP 400); the run keeps waiting.
/// </summary>
public sealed class InvalidResumePayloadException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public InvalidResumePayloadException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public InvalidResumePayloadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public InvalidResumePayloadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="field"/>, saying what it must be.</summary>
    public InvalidResumePayloadException(string field, string expected, string actual)
        : base($"The resume payload's '{field}' must be {expected}; it is {actual}.") => Field = field;

    /// <summary>The payload field that was refused.</summary>
    public string? Field { get; }
}
