using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cronflow.Http;

/// <summary>The answer of the Cronflow API: a status code, a JSON body and a few headers (Allow, Location).</summary>
internal sealed class ApiResponse
{
    /// <summary>The content type of every body.</summary>
    public const string JsonContentType = "application/json; charset=utf-8";

    private ApiResponse(int statusCode, byte[] body, IReadOnlyDictionary<string, string> headers)
    {
        StatusCode = statusCode;
        Body = body;
        Headers = headers;
    }

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }

    /// <summary>The UTF-8 JSON body (camelCase, enums as strings).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The body as text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body.Span);

    /// <summary>Headers to send besides Content-Type.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>A JSON answer.</summary>
    public static ApiResponse Json<T>(int statusCode, T value, IReadOnlyDictionary<string, string>? headers = null) =>
        new(statusCode, JsonSerializer.SerializeToUtf8Bytes(value, CronflowJson.Options), headers ?? new Dictionary<string, string>());

    /// <summary>An answer without a body (204 No Content).</summary>
    public static ApiResponse NoContent() => new(204, [], new Dictionary<string, string>());

    /// <summary>An error answer: <c>{ "error": { "code", "message", "problems" } }</c>.</summary>
    public static ApiResponse Error(int statusCode, string code, string message, IReadOnlyList<ApiProblem>? problems = null, IReadOnlyDictionary<string, string>? headers = null) =>
        Json(statusCode, new ErrorBody(new ErrorDetail(code, message, problems ?? [])), headers);

    private sealed record ErrorBody(ErrorDetail Error);

    private sealed record ErrorDetail(string Code, string Message, IReadOnlyList<ApiProblem> Problems);
}

/// <summary>One problem with a request: where (a JSON pointer into the body, a header or a query parameter) and what.</summary>
/// <param name="Path">A JSON pointer such as <c>/items/0/sku</c> (empty for the whole body), or a header or parameter name.</param>
/// <param name="Message">A plain sentence.</param>
internal sealed record ApiProblem(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Path,
    string Message);

/// <summary>The error codes of the Cronflow API (<c>error.code</c>).</summary>
internal static class ApiErrorCodes
{
    public const string BadJson = "bad_json";
    public const string BadRequest = "bad_request";
    public const string SchemaViolation = "schema_violation";
    public const string PayloadTooLarge = "payload_too_large";
    public const string WorkflowNotFound = "workflow_not_found";
    public const string RunNotFound = "run_not_found";
    public const string ResumeTokenNotFound = "resume_token_not_found";
    public const string NotFound = "not_found";
    public const string RouteNotFound = "route_not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string MissingHeader = "missing_header";
    public const string BadSignature = "bad_signature";
    public const string StaleSignature = "stale_signature";
    public const string RunConflict = "run_conflict";
    public const string RunNotEnded = "run_not_ended";
    public const string Unauthorized = "unauthorized";
    public const string ForbiddenHost = "forbidden_host";
    public const string ForbiddenOrigin = "forbidden_origin";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string TooDeep = "too_deep";
    public const string NotSupported = "not_supported";
    public const string InternalError = "internal_error";
    public const string BackendUnavailable = "backend_unavailable";
}
