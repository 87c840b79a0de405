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

    /// <summary>The longest wait <c>GET /runs/{runId}?waitSeconds=N</c> accepts.</summary>
    internal const int MaxWaitSeconds = 60;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = HttpInputRules.MaxJsonDepth };

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
        bounded.CancelAfter(BackendTimeout + RequestedWait(request));
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
            Log.ApiBackendTimeout(_logger, request.Method, request.Path, BackendTimeout.TotalSeconds);
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

        if (MatchManagementRoute(request, segments) is not { } match)
        {
            return MissedRoute(request, segments);
        }

        var (route, values) = match;
        if (HttpInputRules.CheckMediaType(request, []) is { } unsupported)
        {
            return unsupported;
        }

        if (values.TryGetValue("runId", out var runId) && !HttpInputRules.IsRunId(runId))
        {
            return RunNotFound(runId);
        }

        return await DispatchAsync(route, values, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The management route a request names with its method, when the caller may use it; null when none does (see
    /// <see cref="MissedRoute"/>, which answers 404, 405 or 401).
    /// </summary>
    private static (ApiRoute Route, Dictionary<string, string> Values)? MatchManagementRoute(ApiRequest request, IReadOnlyList<string> segments)
    {
        foreach (var (route, method, template, management) in ApiRoutes.All)
        {
            if (method.Equals(request.Method, StringComparison.OrdinalIgnoreCase)
                && ApiRoutes.TryMatch(template, segments, out var values)
                && (!management || request.IsManagementAuthorized))
            {
                return (route, values);
            }
        }

        return null;
    }

    /// <summary>Why no management route took a request: 401 for a route it may not use, 405 for another method, else 404.</summary>
    private static ApiResponse MissedRoute(ApiRequest request, IReadOnlyList<string> segments)
    {
        var allowed = new List<string>();
        foreach (var (_, method, template, management) in ApiRoutes.All)
        {
            if (!ApiRoutes.TryMatch(template, segments, out _))
            {
                continue;
            }

            if (!method.Equals(request.Method, StringComparison.OrdinalIgnoreCase))
            {
                allowed.Add(method);
            }
            else if (management && !request.IsManagementAuthorized)
            {
                return Unauthorized();
            }
        }

        return allowed.Count > 0 ? MethodNotAllowed(request, allowed) : RouteNotFound(request);
    }

    /// <summary>
    /// What can be answered before the body is read: an unknown route (404, 405), a management route without
    /// authorization (401), and a declared <c>Content-Length</c> over the route's limit (413). Adapters call it first,
    /// so that no byte of a body is read for a request that is refused anyway; null when the body should be read.
    /// </summary>
    public ApiResponse? CheckBeforeBody(ApiRequest request, long? contentLength)
    {
        ArgumentNullException.ThrowIfNull(request);
        var segments = ApiRoutes.Split(request.Path ?? "");
        if (!ApiRoutes.IsManagementPath(segments))
        {
            if (!_webhooks.TryGetValue(WebhookPaths.Normalize(request.Path), out var candidates))
            {
                return RouteNotFound(request);
            }

            var match = candidates.FirstOrDefault(c => c.Webhook.Options.Method.Equals(request.Method, StringComparison.OrdinalIgnoreCase));
            if (match.Workflow is null)
            {
                return MethodNotAllowed(request, candidates.Select(c => c.Webhook.Options.Method.ToUpperInvariant()));
            }

            return contentLength > match.Webhook.Options.MaxBodyBytes ? WebhookTooLarge(match.Webhook.Options) : null;
        }

        if (MatchManagementRoute(request, segments) is not { } management)
        {
            return MissedRoute(request, segments);
        }

        var (limit, limitName) = BodyLimit(management.Route);
        return contentLength > limit ? ApiResponse.Error(413, ApiErrorCodes.PayloadTooLarge, $"The body is over the limit of {limit} bytes ({limitName}).") : null;
    }

    /// <summary>The largest body of a management route, and the setting that names it.</summary>
    private (int Limit, string Name) BodyLimit(ApiRoute route) => route switch
    {
        ApiRoute.TriggerRun => (_options.MaxPayloadBytes, "CronflowOptions.MaxPayloadBytes"),
        ApiRoute.RaiseEvent or ApiRoute.Resume or ApiRoute.PublishEvent => (_options.MaxEventBytes, "CronflowOptions.MaxEventBytes"),
        _ => (MaxCancelBodyBytes, "the cancel body limit"),
    };

    private Task<ApiResponse> DispatchAsync(ApiRoute route, Dictionary<string, string> values, ApiRequest request, CancellationToken cancellationToken) => route switch
    {
        ApiRoute.TriggerRun => TriggerAsync(values["workflowId"], request, cancellationToken),
        ApiRoute.ListRuns => ListAsync(request, cancellationToken),
        ApiRoute.GetRun => GetAsync(values["runId"], request, cancellationToken),
        ApiRoute.RaiseEvent => RaiseEventAsync(values["runId"], values["eventName"], request, cancellationToken),
        ApiRoute.CancelRun => CancelAsync(values["runId"], request, cancellationToken),
        ApiRoute.ReplayRun => ReplayAsync(values["runId"], cancellationToken),
        ApiRoute.Resume => ResumeAsync(values["token"], request, cancellationToken),
        ApiRoute.PublishEvent => PublishAsync(values["eventName"], request, cancellationToken),
        _ => Task.FromResult(Health()),
    };

    // ---- management routes ------------------------------------------------------------------

    private async Task<ApiResponse> TriggerAsync(string workflowId, ApiRequest request, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(workflowId, out var workflow))
        {
            return ApiResponse.Error(404, ApiErrorCodes.WorkflowNotFound, $"No workflow with id '{HttpInputRules.Printable(workflowId)}' is registered.");
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
        // The run continues the caller's trace (read when the run's input is created; see CronflowTelemetry).
        CronflowTelemetry.IncomingTraceParent.Value = request.Headers.TryGetValue("traceparent", out var traceParent) ? traceParent : null;
        var id = await _client.TriggerAsync(workflow.Id, payload, runId, TriggerInfo.Manual, cancellationToken).ConfigureAwait(false);
        return Accepted(id);
    }

    private async Task<ApiResponse> GetAsync(string runId, ApiRequest request, CancellationToken cancellationToken)
    {
        if (request.Query.TryGetValue("waitSeconds", out var waitText) && waitText.Length > 0 && !TryReadWait(waitText, out _))
        {
            return ApiResponse.Error(400, ApiErrorCodes.BadRequest, "The query is invalid.", [new ApiProblem("waitSeconds", $"'{HttpInputRules.Printable(waitText)}' is not a wait; use a whole number of seconds from 0 to {MaxWaitSeconds}.")]);
        }

        if (RequestedWait(request) is { Ticks: > 0 } wait)
        {
            try
            {
                return ApiResponse.Json<RunInfo>(200, await _client.WaitForRunAsync(runId, wait, cancellationToken).ConfigureAwait(false));
            }
            catch (RunWaitTimeoutException)
            {
                // The bound passed: answer the run as it is now, as without a wait.
            }
        }

        var run = await _client.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        return run is null ? RunNotFound(runId) : ApiResponse.Json<RunInfo>(200, run);
    }

    /// <summary>The wait a <c>GET</c> asks for with <c>waitSeconds</c> (zero when none or invalid; the route answers 400 for an invalid one).</summary>
    private static TimeSpan RequestedWait(ApiRequest request) =>
        request.Method.Equals("GET", StringComparison.OrdinalIgnoreCase) && request.Query.TryGetValue("waitSeconds", out var text) && TryReadWait(text, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.Zero;

    private static bool TryReadWait(string text, out int seconds) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seconds) && seconds <= MaxWaitSeconds;

    private async Task<ApiResponse> ListAsync(ApiRequest request, CancellationToken cancellationToken)
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
                problems.Add(new ApiProblem("status", $"'{HttpInputRules.Printable(statusText)}' is not a run status; use one of {string.Join(", ", Enum.GetNames<RunStatus>())}."));
            }
        }

        var pageSize = 100;
        if (request.Query.TryGetValue("pageSize", out var sizeText) && sizeText.Length > 0
            && (!int.TryParse(sizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 1000))
        {
            problems.Add(new ApiProblem("pageSize", $"'{HttpInputRules.Printable(sizeText)}' is not a page size; use a whole number from 1 to 1000."));
        }

        string? backendToken = null;
        if (request.Query.TryGetValue("continuationToken", out var token) && token.Length > 0 && !HttpInputRules.TryReadToken(token, out backendToken))
        {
            problems.Add(BadToken());
        }

        var createdFrom = ParseTime(request, "createdFrom", problems);
        var createdTo = ParseTime(request, "createdTo", problems);
        if (problems.Count > 0)
        {
            return ApiResponse.Error(400, ApiErrorCodes.BadRequest, "The query is invalid.", problems);
        }

        var query = new RunQuery
        {
            RunIdPrefix = request.Query.TryGetValue("runIdPrefix", out var prefix) && prefix.Length > 0 ? prefix : null,
            CreatedFrom = createdFrom,
            CreatedTo = createdTo,
            WorkflowId = request.Query.TryGetValue("workflowId", out var workflowId) && workflowId.Length > 0 ? workflowId : null,
            Status = status,
            PageSize = pageSize,
            ContinuationToken = backendToken,
        };
        RunPage page;
        try
        {
            page = await _client.ListRunsAsync(query, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (query.ContinuationToken is not null && IsMalformedToken(ex))
        {
            // The backend could not read the token: a token it never issued (or one from another task hub).
            return ApiResponse.Error(400, ApiErrorCodes.BadRequest, "The query is invalid.", [BadToken()]);
        }

        return ApiResponse.Json(200, new RunListBody(page.Runs, HttpInputRules.WrapToken(page.ContinuationToken)));
    }

    /// <summary>An ISO-8601 time query parameter (with an offset, or UTC when it has none).</summary>
    private static DateTimeOffset? ParseTime(ApiRequest request, string name, List<ApiProblem> problems)
    {
        if (!request.Query.TryGetValue(name, out var text) || text.Length == 0)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        problems.Add(new ApiProblem(name, $"'{text}' is not a time; use ISO 8601, such as 2026-01-05T10:00:00Z."));
        return null;
    }

    private async Task<ApiResponse> RaiseEventAsync(string runId, string eventName, ApiRequest request, CancellationToken cancellationToken)
    {
        if (TooLarge(request, _options.MaxEventBytes, "CronflowOptions.MaxEventBytes") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var payload, out var badJson))
        {
            return badJson;
        }

        await _client.RaiseEventAsync(runId, eventName, payload, cancellationToken).ConfigureAwait(false);
        return ApiResponse.Json(202, new EventAcceptedBody(runId, eventName, StatusUrl(runId)));
    }

    private async Task<ApiResponse> CancelAsync(string runId, ApiRequest request, CancellationToken cancellationToken)
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

        await _client.CancelAsync(runId, reason, cancellationToken).ConfigureAwait(false);
        return Accepted(runId);
    }

    private async Task<ApiResponse> ReplayAsync(string runId, CancellationToken cancellationToken)
    {
        var id = await _client.ReplayAsync(runId, cancellationToken).ConfigureAwait(false);
        return ApiResponse.Json(202, new ReplayAcceptedBody(id, StatusUrl(id), runId), LocationHeader(id));
    }

    private async Task<ApiResponse> ResumeAsync(string token, ApiRequest request, CancellationToken cancellationToken)
    {
        if (TooLarge(request, _options.MaxEventBytes, "CronflowOptions.MaxEventBytes") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var payload, out var badJson))
        {
            return badJson;
        }

        try
        {
            await _client.ResumeAsync(token, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidResumePayloadException invalid)
        {
            return ApiResponse.Error(400, ApiErrorCodes.BadRequest, invalid.Message, [new ApiProblem("/" + invalid.Field, invalid.Message)]);
        }

        return ApiResponse.Json(202, new ResumedBody(true));
    }

    private async Task<ApiResponse> PublishAsync(string eventName, ApiRequest request, CancellationToken cancellationToken)
    {
        if (TooLarge(request, _options.MaxEventBytes, "CronflowOptions.MaxEventBytes") is { } tooLarge)
        {
            return tooLarge;
        }

        if (!TryParseBody(request.Body, out var payload, out var badJson))
        {
            return badJson;
        }

        var ids = await _client.PublishEventAsync(eventName, payload, cancellationToken).ConfigureAwait(false);
        return ApiResponse.Json(202, new PublishedBody(eventName, ids));
    }

    private ApiResponse Health() => ApiResponse.Json(200, new HealthBody("Healthy", _registry.All.Count, _time.GetUtcNow()));

    // ---- webhooks ---------------------------------------------------------------------------

    private async Task<ApiResponse> HandleWebhookAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var path = WebhookPaths.Normalize(request.Path);
        if (!_webhooks.TryGetValue(path, out var candidates))
        {
            return RouteNotFound(request);
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
            return WebhookTooLarge(options);
        }

        if (HttpInputRules.CheckMediaType(request, options.AcceptedContentTypes) is { } unsupported)
        {
            return unsupported;
        }

        var missing = WebhookSecurity.CheckRequiredHeaders(options, request.Headers);
        if (missing.Count > 0)
        {
            return ApiResponse.Error(401, ApiErrorCodes.MissingHeader, "A required header is missing or wrong.", missing);
        }

        var signature = WebhookSecurity.CheckSignature(options, request.Headers, request.Body.Span, _time.GetUtcNow());
        if (signature is { Outcome: SignatureOutcome.Bad })
        {
            Log.WebhookBadSignature(_logger, path);
            return ApiResponse.Error(401, ApiErrorCodes.BadSignature, "The webhook signature is missing or wrong.", [new ApiProblem(signature.Header, signature.Message!)]);
        }

        if (signature is { Outcome: SignatureOutcome.Stale })
        {
            Log.WebhookStaleSignature(_logger, path);
            return ApiResponse.Error(401, ApiErrorCodes.StaleSignature, "The webhook delivery was signed too long ago (or too far ahead); a replayed delivery is refused.", [new ApiProblem(signature.Header, signature.Message!)]);
        }

        JsonElement? payload;
        if (HttpInputRules.MediaType(request) is { } declared && !request.Body.IsEmpty && !HttpInputRules.IsJson(declared))
        {
            payload = HttpInputRules.FromDeclaredType(declared, request.Body);
        }
        else if (!TryParseBody(request.Body, out payload, out var badJson))
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
        // The run continues the caller's trace (read when the run's input is created; see CronflowTelemetry).
        CronflowTelemetry.IncomingTraceParent.Value = request.Headers.TryGetValue("traceparent", out var traceParent) ? traceParent : null;
        var id = await _client.TriggerAsync(workflow.Id, payload, runId, trigger, cancellationToken).ConfigureAwait(false);
        return Accepted(id);
    }

    // ---- helpers ----------------------------------------------------------------------------

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

    /// <summary>
    /// Parses a webhook's body: a form (when the webhook accepts forms and the request is one) becomes an object of its
    /// fields, another accepted non-JSON type becomes a string, anything else is parsed as JSON.
    /// </summary>
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

    // ---- bodies -----------------------------------------------------------------------------

    private sealed record AcceptedBody(string RunId, string StatusUrl);

    private sealed record ReplayAcceptedBody(string RunId, string StatusUrl, string ReplayOf);

    private sealed record EventAcceptedBody(string RunId, string EventName, string StatusUrl);

    private sealed record PublishedBody(string EventName, IReadOnlyList<string> RunIds);

    private sealed record ResumedBody(bool Resumed);

    private sealed record RunListBody(IReadOnlyList<RunInfo> Runs, string? ContinuationToken);

    private sealed record HealthBody(string Status, int Workflows, DateTimeOffset Time);
}
