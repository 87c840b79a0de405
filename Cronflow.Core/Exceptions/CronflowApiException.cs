namespace Cronflow;

/// <summary>
/// An error answer of the HTTP API that no engine exception stands for: a missing or wrong key (401), a refused host
/// or origin (403), an unreachable backend (503), a failure on the server (500). <see cref="CronflowHttpClient"/>
/// throws it; answers that do have an engine counterpart (a run or workflow not found, a run id conflict, a payload
/// over the limit, an invalid request) are thrown as that exception instead.
/// </summary>
public sealed class CronflowApiException : CronflowException
{
    /// <summary>Creates the exception for an error answer.</summary>
    /// <param name="statusCode">The HTTP status code.</param>
    /// <param name="errorCode">The API's <c>error.code</c>, or null when the answer had no Cronflow error body.</param>
    /// <param name="message">The API's <c>error.message</c>, or a description of the answer.</param>
    public CronflowApiException(int statusCode, string? errorCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }

    /// <summary>
    /// The API's error code (such as <c>unauthorized</c> or <c>backend_unavailable</c>, listed in the HTTP API
    /// documentation), or null when the answer had no Cronflow error body (the Azure Functions host's own 401).
    /// </summary>
    public string? ErrorCode { get; }
}
