using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow.Http;

/// <summary>
/// The Cronflow HTTP API, independent of the web stack: routing, validation, status codes, JSON shapes and error
/// bodies. The Azure Functions app and the local host both adapt their requests to <see cref="ApiRequest"/> and
/// send back the <see cref="ApiResponse"/>, so both serve the same API byte for byte.
/// </summary>
internal sealed partial class CronflowHttpApi
{
    /// <summary>The largest optional body of a cancel request (<c>{ "reason": "…" }</c>).</summary>
    private const int MaxCancelBodyBytes = 16 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private readonly ICronflowClient _client;
    private readonly WorkflowRegistry _registry;
    private readonly CronflowOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, List<(WorkflowDefinition Workflow, WebhookTrigger Webhook)>> _webhooks = new(StringComparer.Ordinal);

    public CronflowHttpApi(ICronflowClient client, WorkflowRegistry registry, CronflowOptions options, TimeProvider timeProvider, ILogger? logger = null)
    {
        _client = client;
        _registry = registry;
        _options = options;
        _time = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        var largest = Math.Max(Math.Max(options.MaxPayloadBytes, options.MaxEventBytes), MaxCancelBodyBytes);
        foreach (var workflow in registry.All)
        {
            foreach (var webhook in workflow.Webhooks)
            {
                if (!_webhooks.TryGetValue(webhook.Path, out var list))
                {
                    _webhooks[webhook.Path] = list = [];
                }

                list.Add((workflow, webhook));
                largest = Math.Max(largest, webhook.Options.MaxBodyBytes);
            }
        }

        MaxBodyBytes = largest;
    }

    /// <summary>How long a request waits for the backend before it is answered 503 <c>backend_unavailable</c> (default 10 s).</summary>
    public TimeSpan BackendTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest body any route accepts: adapters read at most one byte more, and the route answers 413.</summary>
    public int MaxBodyBytes { get; }

    /// <summary>Handles one request. Never throws for a bad request: every failure is an error answer.</summary>
    public async Task<ApiResponse> HandleAsync(ApiRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(BackendTimeout);
        try
        {
            // The backend calls are bounded: a backend that does not answer (storage down, retrying) gets the client a
            // 503 in time; the request's own abort ends the wait at once.
            return await RouteAsync(request, bounded.Token).WaitAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            LogBackendTimeout(_logger, request.Method, request.Path, BackendTimeout.TotalSeconds);
            return BackendUnavailable($"The backend did not answer within {BackendTimeout.TotalSeconds:0.#} seconds.");
        }
        catch (Exception ex)
        {
            return MapException(ex, request);
        }
    }

    private async Task<ApiResponse> RouteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var segments = ApiRoutes.Split(request.Path ?? "");
        if (!ApiRoutes.IsManagementPath(segments))
        {
            return await HandleWebhookAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var allowed = new List<string>();
        foreach (var (route, method, template, management) in ApiRoutes.All)
        {
            if (!ApiRoutes.TryMatch(template, segments, out var values))
            {
                continue;
            }

            if (!method.Equals(request.Method, StringComparison.OrdinalIgnoreCase))
            {
                allowed.Add(method);
                continue;
            }

            if (management && !request.IsManagementAuthorized)
            {
                return ApiResponse.Error(401, ApiErrorCodes.Unauthorized, "This route needs an API key (on Azure Functions, a function key).");
            }

            return await DispatchAsync(route, values, request).ConfigureAwait(false);
        }

        return allowed.Count > 0
            ? MethodNotAllowed(request, allowed)
            : ApiResponse.Error(404, ApiErrorCodes.RouteNotFound, $"No route matches {request.Method.ToUpperInvariant()} /api{request.Path}.");
    }

    private Task<ApiResponse> DispatchAsync(ApiRoute route, Dictionary<string, string> values, ApiRequest request) => route switch
    {
        ApiRoute.TriggerRun => TriggerAsync(values["workflowId"], request),
        ApiRoute.ListRuns => ListAsync(request),
        ApiRoute.GetRun => GetAsync(values["runId"]),
        ApiRoute.RaiseEvent => RaiseEventAsync(values["runId"], values["eventName"], request),
        ApiRoute.CancelRun => CancelAsync(values["runId"], request),
        ApiRoute.ReplayRun => ReplayAsync(values["runId"]),
        ApiRoute.Resume => ResumeAsync(values["token"], request),
        ApiRoute.PublishEvent => PublishAsync(values["eventName"], request),
        _ => Task.FromResult(Health()),
    };

    // ---- management routes ------------------------------------------------------------------

    private async Task<ApiResponse> TriggerAsync(string workflowId, ApiRequest request)
    {
        if (!_registry.TryGet(workflowId, out var workflow))
        {
            return ApiResponse.Error(404, ApiErrorCodes.WorkflowNotFound, $"No workflow with id '{workflowId}' is registered.");
        }

        if (TooLarge(request, _options.MaxPayloadBytes, "CronflowOptions.MaxPayloadBytes") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var payload, out var badJson))
        {
            return badJson;
        }

        var runId = request.Query.TryGetValue("runId", out var requested) && !string.IsNullOrWhiteSpace(requested) ? requested : null;
        var id = await _client.TriggerAsync(workflow.Id, payload, runId, TriggerInfo.Manual).ConfigureAwait(false);
        return Accepted(id);
    }

    private async Task<ApiResponse> GetAsync(string runId)
    {
        var run = await _client.GetRunAsync(runId).ConfigureAwait(false);
        return run is null ? RunNotFound(runId) : ApiResponse.Json<RunInfo>(200, run);
    }

    private async Task<ApiResponse> ListAsync(ApiRequest request)
    {
        var problems = new List<ApiProblem>();
        RunStatus? status = null;
        if (request.Query.TryGetValue("status", out var statusText) && statusText.Length > 0)
        {
            if (Enum.TryParse<RunStatus>(statusText, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(statusText, out _))
            {
                status = parsed;
            }
            else
            {
                problems.Add(new ApiProblem("status", $"'{statusText}' is not a run status; use one of {string.Join(", ", Enum.GetNames<RunStatus>())}."));
            }
        }

        var pageSize = 100;
        if (request.Query.TryGetValue("pageSize", out var sizeText) && sizeText.Length > 0
            && (!int.TryParse(sizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 1000))
        {
            problems.Add(new ApiProblem("pageSize", $"'{sizeText}' is not a page size; use a whole number from 1 to 1000."));
        }

        if (problems.Count > 0)
        {
            return ApiResponse.Error(400, ApiErrorCodes.BadRequest, "The query is invalid.", problems);
        }

        var query = new RunQuery
        {
            WorkflowId = request.Query.TryGetValue("workflowId", out var workflowId) && workflowId.Length > 0 ? workflowId : null,
            Status = status,
            PageSize = pageSize,
            ContinuationToken = request.Query.TryGetValue("continuationToken", out var token) && token.Length > 0 ? token : null,
        };
        var page = await _client.ListRunsAsync(query).ConfigureAwait(false);
        return ApiResponse.Json(200, new RunListBody(page.Runs, page.ContinuationToken));
    }

    private async Task<ApiResponse> RaiseEventAsync(string runId, string eventName, ApiRequest request)
    {
        if (TooLarge(request, _options.MaxEventBytes, "CronflowOptions.MaxEventBytes") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var payload, out var badJson))
        {
            return badJson;
        }

        await _client.RaiseEventAsync(runId, eventName, payload).ConfigureAwait(false);
        return ApiResponse.Json(202, new EventAcceptedBody(runId, eventName, StatusUrl(runId)));
    }

    private async Task<ApiResponse> CancelAsync(string runId, ApiRequest request)
    {
        if (TooLarge(request, MaxCancelBodyBytes, "the cancel body limit") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var body, out var badJson))
        {
            return badJson;
        }

        string? reason = null;
        if (body is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("reason", out var reasonElement))
        {
            if (reasonElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return ApiResponse.Error(400, ApiErrorCodes.BadRequest, "The cancel body is invalid.", [new ApiProblem("/reason", "The reason must be a string.")]);
            }

            reason = reasonElement.GetString();
        }
        else if (body is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
        {
            return ApiResponse.Error(400, ApiErrorCodes.BadRequest, "The cancel body is invalid.", [new ApiProblem("", "The body must be an object such as { \"reason\": \"…\" }, or empty.")]);
        }

        await _client.CancelAsync(runId, reason).ConfigureAwait(false);
        return Accepted(runId);
    }

    private async Task<ApiResponse> ReplayAsync(string runId)
    {
        var id = await _client.ReplayAsync(runId).ConfigureAwait(false);
        return ApiResponse.Json(202, new ReplayAcceptedBody(id, StatusUrl(id), runId), LocationHeader(id));
    }

    private async Task<ApiResponse> ResumeAsync(string token, ApiRequest request)
    {
        if (TooLarge(request, _options.MaxEventBytes, "CronflowOptions.MaxEventBytes") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var payload, out var badJson))
        {
            return badJson;
        }

        await _client.ResumeAsync(token, payload).ConfigureAwait(false);
        return ApiResponse.Json(202, new ResumedBody(true));
    }

    private async Task<ApiResponse> PublishAsync(string eventName, ApiRequest request)
    {
        if (TooLarge(request, _options.MaxEventBytes, "CronflowOptions.MaxEventBytes") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var payload, out var badJson))
        {
            return badJson;
        }

        var ids = await _client.PublishEventAsync(eventName, payload).ConfigureAwait(false);
        return ApiResponse.Json(202, new PublishedBody(eventName, ids));
    }

    private ApiResponse Health() => ApiResponse.Json(200, new HealthBody("Healthy", _registry.All.Count, _time.GetUtcNow()));

    // ---- webhooks ---------------------------------------------------------------------------

    private async Task<ApiResponse> HandleWebhookAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var path = WebhookPaths.Normalize(request.Path);
        if (!_webhooks.TryGetValue(path, out var candidates))
        {
            return ApiResponse.Error(404, ApiErrorCodes.RouteNotFound, $"No route matches {request.Method.ToUpperInvariant()} /api{request.Path}.");
        }

        var match = candidates.FirstOrDefault(c => c.Webhook.Options.Method.Equals(request.Method, StringComparison.OrdinalIgnoreCase));
        if (match.Workflow is null)
        {
            return MethodNotAllowed(request, candidates.Select(c => c.Webhook.Options.Method.ToUpperInvariant()));
        }

        var (workflow, webhook) = match;
        var options = webhook.Options;
        if (request.Body.Length > options.MaxBodyBytes)
        {
            return ApiResponse.Error(413, ApiErrorCodes.PayloadTooLarge, $"The body is over the webhook's limit of {options.MaxBodyBytes} bytes (WebhookOptions.MaxBodyBytes).");
        }

        var missing = WebhookSecurity.CheckRequiredHeaders(options, request.Headers);
        if (missing.Count > 0)
        {
            return ApiResponse.Error(401, ApiErrorCodes.MissingHeader, "A required header is missing or wrong.", missing);
        }

        var signature = WebhookSecurity.CheckSignature(options, request.Headers, request.Body.Span, _time.GetUtcNow());
        if (signature is { Outcome: SignatureOutcome.Bad })
        {
            LogBadSignature(_logger, path);
            return ApiResponse.Error(401, ApiErrorCodes.BadSignature, "The webhook signature is missing or wrong.", [new ApiProblem(signature.Header, signature.Message!)]);
        }

        if (signature is { Outcome: SignatureOutcome.Stale })
        {
            LogStaleSignature(_logger, path);
            return ApiResponse.Error(401, ApiErrorCodes.StaleSignature, "The webhook delivery was signed too long ago (or too far ahead); a replayed delivery is refused.", [new ApiProblem(signature.Header, signature.Message!)]);
        }

        if (!TryParseWebhookBody(options, request, out var payload, out var badJson))
        {
            return badJson;
        }

        if (options.SchemaType is { } schemaType)
        {
            var problems = WebhookSchemas.Validate(schemaType, payload);
            if (problems.Count > 0)
            {
                return ApiResponse.Error(400, ApiErrorCodes.SchemaViolation, $"The body does not match the schema of {schemaType.Name} ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}).", problems);
            }
        }

        string? runId = null;
        if (signature is { Mac: { } mac })
        {
            // A signed delivery is named by its signature: replaying it (with any idempotency key, which is not signed)
            // finds the first run instead of starting another.
            runId = WebhookSecurity.SignedRunId(workflow.Id, options.EffectiveSignature!.Name, mac);
        }
        else if (options.IdempotencyHeader is { } idempotencyHeader && request.Headers.TryGetValue(idempotencyHeader, out var key) && !string.IsNullOrWhiteSpace(key))
        {
            runId = WebhookSecurity.IdempotentRunId(workflow.Id, key.Trim());
        }

        cancellationToken.ThrowIfCancellationRequested();
        var trigger = new TriggerInfo
        {
            Kind = TriggerKind.Webhook,
            Headers = WebhookSecurity.TriggerHeaders(options, request.Headers),
            Source = path,
        };
        var id = await _client.TriggerAsync(workflow.Id, payload, runId, trigger).ConfigureAwait(false);
        return Accepted(id);
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static ApiResponse Accepted(string runId) => ApiResponse.Json(202, new AcceptedBody(runId, StatusUrl(runId)), LocationHeader(runId));

    private static string StatusUrl(string runId) => "/api/runs/" + Uri.EscapeDataString(runId);

    private static Dictionary<string, string> LocationHeader(string runId) => new(StringComparer.OrdinalIgnoreCase) { ["Location"] = StatusUrl(runId) };

    private static ApiResponse RunNotFound(string runId) => ApiResponse.Error(404, ApiErrorCodes.RunNotFound, $"No run with id '{runId}' exists.");

    private static ApiResponse MethodNotAllowed(ApiRequest request, IEnumerable<string> allowed)
    {
        var allow = string.Join(", ", allowed.Distinct(StringComparer.OrdinalIgnoreCase));
        return ApiResponse.Error(
            405,
            ApiErrorCodes.MethodNotAllowed,
            $"{request.Method.ToUpperInvariant()} is not allowed on /api{request.Path}; use {allow}.",
            headers: new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Allow"] = allow });
    }

    private static ApiResponse? TooLarge(ApiRequest request, int limit, string limitName) =>
        request.Body.Length > limit
            ? ApiResponse.Error(413, ApiErrorCodes.PayloadTooLarge, $"The body is over the limit of {limit} bytes ({limitName}).")
            : null;

    /// <summary>
    /// Parses a webhook's body: a form (when the webhook accepts forms and the request is one) becomes an object of its
    /// fields, another accepted non-JSON type becomes a string, anything else is parsed as JSON.
    /// </summary>
    private static bool TryParseWebhookBody(WebhookOptions options, ApiRequest request, out JsonElement? value, out ApiResponse error)
    {
        var media = request.Headers.TryGetValue("content-type", out var contentType) ? contentType.Split(';')[0].Trim().ToLowerInvariant() : "";
        if (media.Length > 0 && options.AcceptedContentTypes.Contains(media) && media != "application/json" && !media.EndsWith("+json", StringComparison.Ordinal))
        {
            error = null!;
            var text = System.Text.Encoding.UTF8.GetString(request.Body.Span);
            value = media == "application/x-www-form-urlencoded"
                ? JsonSerializer.SerializeToElement(ApiRequest.ParseQuery(text))
                : JsonSerializer.SerializeToElement(text);
            return true;
        }

        return TryParseBody(request.Body, out value, out error);
    }

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
            error = ApiResponse.Error(400, ApiErrorCodes.BadJson, "The body is not valid JSON.", [new ApiProblem(null, ex.Message)]);
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
            case PayloadTooLargeException tooLarge:
                return ApiResponse.Error(413, ApiErrorCodes.PayloadTooLarge, tooLarge.Message);
            case CronflowException other when other.GetType().Name.EndsWith("NotFoundException", StringComparison.Ordinal):
                return ApiResponse.Error(404, ApiErrorCodes.NotFound, other.Message);
            case ArgumentException argument:
                return ApiResponse.Error(400, ApiErrorCodes.BadRequest, StripParameterName(argument));
            case NotSupportedException notSupported:
                return ApiResponse.Error(501, ApiErrorCodes.NotSupported, notSupported.Message);
            case var unavailable when BackendErrors.IsUnavailable(unavailable):
                LogBackendUnavailable(_logger, unavailable, request.Method, request.Path);
                return BackendUnavailable("The backend (storage) cannot be reached.");
            default:
                LogUnexpected(_logger, exception, request.Method, request.Path);
                return ApiResponse.Error(500, ApiErrorCodes.InternalError, "The request failed on the server; the host's log has the details.");
        }
    }

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

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Cronflow API request {Method} {Path} failed")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Webhook delivery to {Path} rejected: bad or missing signature")]
    private static partial void LogBadSignature(ILogger logger, string path);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Cronflow API request {Method} {Path} answered 503: the backend is unavailable")]
    private static partial void LogBackendUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Cronflow API request {Method} {Path} answered 503: the backend did not answer within {Seconds} s")]
    private static partial void LogBackendTimeout(ILogger logger, string method, string path, double seconds);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Webhook delivery to {Path} rejected: its signed timestamp is outside the tolerance")]
    private static partial void LogStaleSignature(ILogger logger, string path);

    // ---- bodies -----------------------------------------------------------------------------

    private sealed record AcceptedBody(string RunId, string StatusUrl);

    private sealed record ReplayAcceptedBody(string RunId, string StatusUrl, string ReplayOf);

    private sealed record EventAcceptedBody(string RunId, string EventName, string StatusUrl);

    private sealed record PublishedBody(string EventName, IReadOnlyList<string> RunIds);

    private sealed record ResumedBody(bool Resumed);

    private sealed record RunListBody(IReadOnlyList<RunInfo> Runs, string? ContinuationToken);

    private sealed record HealthBody(string Status, int Workflows, DateTimeOffset Time);
}
