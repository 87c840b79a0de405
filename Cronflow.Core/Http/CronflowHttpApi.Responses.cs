using System.Text.Json;

namespace Cronflow.Http;

/// <summary>Answers shared by the routes: accepted and error responses, body parsing, the exception map and the JSON bodies.</summary>
internal sealed partial class CronflowHttpApi
{
    private static ApiResponse Accepted(string runId) => ApiResponse.Json(202, new AcceptedBody(runId, StatusUrl(runId)), LocationHeader(runId));

    private static string StatusUrl(string runId) => "/api/runs/" + Uri.EscapeDataString(runId);

    private static Dictionary<string, string> LocationHeader(string runId) => new(StringComparer.OrdinalIgnoreCase) { ["Location"] = StatusUrl(runId) };

    private static ApiResponse RunNotFound(string runId) => ApiResponse.Error(404, ApiErrorCodes.RunNotFound, $"No run with id '{HttpInputRules.Printable(runId)}' exists.");

    private static ApiResponse RouteNotFound(ApiRequest request) =>
        ApiResponse.Error(404, ApiErrorCodes.RouteNotFound, $"No route matches {HttpInputRules.Printable(request.Method.ToUpperInvariant(), 16)} /api{HttpInputRules.Printable(request.Path)}.");

    private static ApiResponse Unauthorized() => ApiResponse.Error(401, ApiErrorCodes.Unauthorized, "This route needs an API key (on Azure Functions, a function key).");

    private static ApiResponse WebhookTooLarge(WebhookOptions options) =>
        ApiResponse.Error(413, ApiErrorCodes.PayloadTooLarge, $"The body is over the webhook's limit of {options.MaxBodyBytes} bytes (WebhookOptions.MaxBodyBytes).");

    private static ApiProblem BadToken() => new("continuationToken", "The continuation token is not one this API returned; pass back the token of the previous page unchanged.");

    /// <summary>
    /// The exceptions a backend throws for a continuation token it cannot read (one the API issued for another task hub
    /// or backend): the in-memory backend's "cannot be parsed", format and JSON errors.
    /// </summary>
    private static bool IsMalformedToken(Exception exception) =>
        exception is FormatException or ArgumentException or JsonException or InvalidCastException or OverflowException
        || (exception is InvalidOperationException && exception.Message.Contains("cannot be parsed", StringComparison.Ordinal))
        || exception.GetType().FullName is "Newtonsoft.Json.JsonReaderException" or "Newtonsoft.Json.JsonSerializationException";

    private static ApiResponse MethodNotAllowed(ApiRequest request, IEnumerable<string> allowed)
    {
        var allow = string.Join(", ", allowed.Distinct(StringComparer.OrdinalIgnoreCase));
        return ApiResponse.Error(
            405,
            ApiErrorCodes.MethodNotAllowed,
            $"{HttpInputRules.Printable(request.Method.ToUpperInvariant(), 16)} is not allowed on /api{HttpInputRules.Printable(request.Path)}; use {allow}.",
            headers: new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Allow"] = allow });
    }

    private static ApiResponse? TooLarge(ApiRequest request, int limit, string limitName) =>
        request.Body.Length > limit
            ? ApiResponse.Error(413, ApiErrorCodes.PayloadTooLarge, $"The body is over the limit of {limit} bytes ({limitName}).")
            : null;

    /// <summary>Parses a JSON body; an empty body is null.</summary>
    private static bool TryParseBody(ReadOnlyMemory<byte> body, out JsonElement? value, out ApiResponse error)
    {
        value = null;
        error = null!;
        var span = body.Span;
        if (span.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
            span = body.Span;
        }

        if (span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            value = document.RootElement.Clone();
            return true;
        }
        catch (JsonException ex)
        {
            error = HttpInputRules.IsTooDeep(body.Span)
                ? HttpInputRules.TooDeep()
                : ApiResponse.Error(400, ApiErrorCodes.BadJson, "The body is not valid JSON.", [new ApiProblem(null, ex.Message)]);
            return false;
        }
    }

    private ApiResponse MapException(Exception exception, ApiRequest request)
    {
        switch (exception)
        {
            case WorkflowNotFoundException notFound:
                return ApiResponse.Error(404, ApiErrorCodes.WorkflowNotFound, notFound.Message);
            case RunNotFoundException notFound:
                return ApiResponse.Error(404, ApiErrorCodes.RunNotFound, notFound.Message);
            case ResumeTokenNotFoundException notFound:
                return ApiResponse.Error(404, ApiErrorCodes.ResumeTokenNotFound, notFound.Message);
            case RunConflictException conflict:
                return ApiResponse.Error(409, ApiErrorCodes.RunConflict, conflict.Message);
            case RunNotEndedException notEnded:
                return ApiResponse.Error(409, ApiErrorCodes.RunNotEnded, notEnded.Message);
            case PayloadTooLargeException tooLarge:
                return ApiResponse.Error(413, ApiErrorCodes.PayloadTooLarge, tooLarge.Message);
            case CronflowException other when other.GetType().Name.EndsWith("NotFoundException", StringComparison.Ordinal):
                return ApiResponse.Error(404, ApiErrorCodes.NotFound, other.Message);
            case ArgumentException argument when IsOwn(argument):
                return ApiResponse.Error(400, ApiErrorCodes.BadRequest, HttpInputRules.Printable(StripParameterName(argument), 1000));
            case ArgumentException argument:
                // A library's message may describe its internals: the caller gets a plain sentence, the log the rest.
                Log.ApiRequestInvalid(_logger, argument, HttpInputRules.Printable(request.Method, 16), HttpInputRules.Printable(request.Path));
                return ApiResponse.Error(400, ApiErrorCodes.BadRequest, "The request is invalid.");
            case NotSupportedException notSupported:
                return ApiResponse.Error(501, ApiErrorCodes.NotSupported, notSupported.Message);
            case var unavailable when BackendErrors.IsUnavailable(unavailable):
                Log.ApiBackendUnavailable(_logger, unavailable, request.Method, request.Path);
                return BackendUnavailable("The backend (storage) cannot be reached.");
            default:
                Log.ApiRequestFailed(_logger, exception, HttpInputRules.Printable(request.Method, 16), HttpInputRules.Printable(request.Path));
                return ApiResponse.Error(500, ApiErrorCodes.InternalError, "The request failed on the server; the host's log has the details.");
        }
    }

    /// <summary>Whether Cronflow's own code threw <paramref name="exception"/> (its message is written for callers).</summary>
    private static bool IsOwn(ArgumentException exception) =>
        exception.TargetSite?.Module.Assembly.GetName().Name is { } assembly && assembly.StartsWith("Cronflow", StringComparison.Ordinal);

    /// <summary>503 with a Retry-After: the request may succeed once the backend is back; nothing was started or changed by this answer.</summary>
    private static ApiResponse BackendUnavailable(string message) => ApiResponse.Error(
        503,
        ApiErrorCodes.BackendUnavailable,
        message + " Try again later.",
        headers: new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Retry-After"] = RetryAfterSeconds });

    private const string RetryAfterSeconds = "5";

    private static string StripParameterName(ArgumentException exception) =>
        exception.ParamName is { } name && exception.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? exception.Message[..^$" (Parameter '{name}')".Length]
            : exception.Message;

    private sealed record AcceptedBody(string RunId, string StatusUrl);

    private sealed record ReplayAcceptedBody(string RunId, string StatusUrl, string ReplayOf);

    private sealed record EventAcceptedBody(string RunId, string EventName, string StatusUrl);

    private sealed record PublishedBody(string EventName, IReadOnlyList<string> RunIds);

    private sealed record ResumedBody(bool Resumed);

    private sealed record RunListBody(IReadOnlyList<RunInfo> Runs, string? ContinuationToken);

    private sealed record HealthBody(string Status, int Workflows, DateTimeOffset Time);
}
