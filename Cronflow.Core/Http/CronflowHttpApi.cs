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
        ApiRoute.PurgeRun => PurgeAsync(values["runId"], cancellationToken),
        ApiRoute.RaiseEvent => RaiseEventAsync(values["runId"], values["eventName"], request, cancellationToken),
        ApiRoute.CancelRun => CancelAsync(values["runId"], request, cancellationToken),
        ApiRoute.ReplayRun => ReplayAsync(values["runId"], cancellationToken),
        ApiRoute.Resume => ResumeAsync(values["token"], request, cancellationToken),
        ApiRoute.PublishEvent => PublishAsync(values["eventName"], request, cancellationToken),
        _ => Task.FromResult(Health()),
    };

    private ApiResponse Health() => ApiResponse.Json(200, new HealthBody("Healthy", _registry.All.Count, _time.GetUtcNow()));
}
