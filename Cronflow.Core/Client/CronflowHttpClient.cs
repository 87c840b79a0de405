using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cronflow.Http;

namespace Cronflow;

/// <summary>
/// An <see cref="ICronflowClient"/> over a Cronflow host's HTTP API: the local host (<c>cronflow serve</c>,
/// <c>CronflowHost</c> with <c>ListenOn</c>) or an Azure Functions app. Errors are thrown as the exceptions the
/// engine's own client throws (<see cref="WorkflowNotFoundException"/>, <see cref="RunNotFoundException"/>,
/// <see cref="RunConflictException"/>, <see cref="RunNotEndedException"/>, <see cref="PayloadTooLargeException"/>, <see cref="ResumeTokenNotFoundException"/>,
/// <see cref="InvalidResumePayloadException"/>, <see cref="ArgumentException"/> for an invalid request,
/// <see cref="NotSupportedException"/>); any other error answer as <see cref="CronflowApiException"/>.
/// </summary>
/// <example>
/// <code>
/// using var client = new CronflowHttpClient(new Uri("http://127.0.0.1:7071"), new CronflowHttpClientOptions { ApiKey = key });
/// var runId = await client.TriggerAsync("order-processing", new { orderId = "A-1" });
/// RunInfo run = await client.WaitForRunAsync(runId, TimeSpan.FromMinutes(1));
/// </code>
/// </example>
public sealed partial class CronflowHttpClient : ICronflowClient, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly CronflowHttpClientOptions _options;
    private readonly Uri _apiRoot;

    /// <summary>Creates a client for the host at <paramref name="baseUrl"/> (such as <c>http://127.0.0.1:7071</c>), with an HttpClient of its own.</summary>
    /// <param name="baseUrl">The host's address; the API is at <see cref="CronflowHttpClientOptions.ApiPath"/> below it.</param>
    /// <param name="options">The key and the polling interval.</param>
    public CronflowHttpClient(Uri baseUrl, CronflowHttpClientOptions? options = null)
        : this(new HttpClient { BaseAddress = baseUrl ?? throw new ArgumentNullException(nameof(baseUrl)) }, options, ownsHttp: true)
    {
    }

    /// <summary>
    /// Creates a client over <paramref name="http"/>, whose <see cref="HttpClient.BaseAddress"/> is the host's address
    /// (for example one from <c>IHttpClientFactory</c>). The client does not dispose it.
    /// </summary>
    /// <param name="http">An HttpClient with the host's address as its base address.</param>
    /// <param name="options">The key and the polling interval.</param>
    public CronflowHttpClient(HttpClient http, CronflowHttpClientOptions? options = null)
        : this(http, options, ownsHttp: false)
    {
    }

    private CronflowHttpClient(HttpClient http, CronflowHttpClientOptions? options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.BaseAddress is not { IsAbsoluteUri: true } baseAddress)
        {
            throw new ArgumentException("The HttpClient needs an absolute BaseAddress: the Cronflow host's address.", nameof(http));
        }

        _http = http;
        _ownsHttp = ownsHttp;
        _options = options ?? new CronflowHttpClientOptions();
        if (_options.PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.PollInterval, "CronflowHttpClientOptions.PollInterval must be positive.");
        }

        // Requests go to absolute addresses below the API's root, whatever path the base address has.
        var root = baseAddress.AbsoluteUri.TrimEnd('/') + "/";
        var apiPath = _options.ApiPath.Trim('/');
        _apiRoot = new Uri(apiPath.Length == 0 ? root : root + apiPath + "/");
    }

    /// <inheritdoc />
    public Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null, CancellationToken cancellationToken = default) =>
        StartAsync(workflowId, payload, runId, cancellationToken);

    /// <summary>
    /// Starts a run with trigger details. Over HTTP a run is always started as a manual trigger (as
    /// <c>POST /api/workflows/{id}/runs</c> does); webhooks, schedules and events start runs on the host itself.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="trigger"/> is not a plain manual trigger.</exception>
    public Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        if (trigger.Kind != TriggerKind.Manual || trigger.Source is not null || trigger.Headers.Count > 0)
        {
            throw new NotSupportedException($"The HTTP API starts runs as manual triggers only, not as {trigger.Kind} triggers with a source or headers; webhooks, schedules and events start runs on the host itself.");
        }

        return StartAsync(workflowId, payload, runId, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<RunInfo?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        using var response = await SendAsync(HttpMethod.Get, Route(ApiRoute.GetRun, runId), body: null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            return error is { Code: ApiErrorCodes.RunNotFound } ? null : throw ToException((int)response.StatusCode, error, new ErrorContext(RunId: runId));
        }

        return await ReadAsync<RunInfo>(response, new ErrorContext(RunId: runId), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<RunInfo> WaitForRunAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var time = _options.TimeProvider;
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
            if (run.IsFinished)
            {
                return run;
            }

            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new RunWaitTimeoutException(runId, timeout, run.Status);
            }

            await Task.Delay(_options.PollInterval < left ? _options.PollInterval : left, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var body = reason is null ? null : Json(new { reason });
        using var response = await SendAsync(HttpMethod.Post, Route(ApiRoute.CancelRun, runId), body, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, new ErrorContext(RunId: runId), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> PurgeRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        using var response = await SendAsync(HttpMethod.Delete, Route(ApiRoute.PurgeRun, runId), body: null, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
        return error is { Code: ApiErrorCodes.RunNotFound } ? false : throw ToException((int)response.StatusCode, error, new ErrorContext(RunId: runId));
    }

    /// <inheritdoc />
    public async Task RaiseEventAsync(string runId, string eventName, object? payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var body = Json(payload);
        using var response = await SendAsync(HttpMethod.Post, Route(ApiRoute.RaiseEvent, runId, eventName), body, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, new ErrorContext(RunId: runId, What: $"The event '{eventName}' for run '{runId}'", BodySize: body.Length), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task ResumeAsync(string token, object? payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var body = Json(payload);
        using var response = await SendAsync(HttpMethod.Post, Route(ApiRoute.Resume, token), body, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, new ErrorContext(What: "The resume payload", BodySize: body.Length, Resume: true), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> PublishEventAsync(string eventName, object? payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var body = Json(payload);
        using var response = await SendAsync(HttpMethod.Post, Route(ApiRoute.PublishEvent, eventName), body, cancellationToken).ConfigureAwait(false);
        var published = await ReadAsync<PublishedBody>(response, new ErrorContext(What: $"The event '{eventName}'", BodySize: body.Length), cancellationToken).ConfigureAwait(false);
        return published.RunIds;
    }

    /// <inheritdoc />
    public async Task<string> ReplayAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        using var response = await SendAsync(HttpMethod.Post, Route(ApiRoute.ReplayRun, runId), body: null, cancellationToken).ConfigureAwait(false);
        var accepted = await ReadAsync<AcceptedBody>(response, new ErrorContext(RunId: runId), cancellationToken).ConfigureAwait(false);
        return accepted.RunId;
    }

    /// <inheritdoc />
    public async Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new List<string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parameters.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }

        Add("workflowId", query.WorkflowId);
        Add("status", query.Status?.ToString());
        Add("runIdPrefix", query.RunIdPrefix);
        Add("createdFrom", query.CreatedFrom?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Add("createdTo", query.CreatedTo?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Add("pageSize", query.PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("continuationToken", query.ContinuationToken);
        var path = Route(ApiRoute.ListRuns) + "?" + string.Join('&', parameters);
        using var response = await SendAsync(HttpMethod.Get, path, body: null, cancellationToken).ConfigureAwait(false);
        var page = await ReadAsync<RunListBody>(response, new ErrorContext(), cancellationToken).ConfigureAwait(false);
        return new RunPage(page.Runs, page.ContinuationToken);
    }

    /// <summary>Disposes the HttpClient if this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<string> StartAsync(string workflowId, object? payload, string? runId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflowId);
        if (runId is not null)
        {
            RunRequests.ValidateRunId(runId);
        }

        var body = Json(payload);
        var path = Route(ApiRoute.TriggerRun, workflowId) + (runId is null ? "" : "?runId=" + Uri.EscapeDataString(runId));
        using var response = await SendAsync(HttpMethod.Post, path, body, cancellationToken).ConfigureAwait(false);
        var context = new ErrorContext(WorkflowId: workflowId, RunId: runId, What: $"The payload for workflow '{workflowId}'", BodySize: body.Length);
        var accepted = await ReadAsync<AcceptedBody>(response, context, cancellationToken).ConfigureAwait(false);
        return accepted.RunId;
    }

    /// <summary>The path of a route below the API's root, from the API's own route table.</summary>
    private static string Route(ApiRoute route, params string[] values)
    {
        var template = ApiRoutes.All.First(r => r.Route == route).Template;
        var index = 0;
        return string.Join('/', ApiRoutes.Split(template).Select(part => part.StartsWith('{') ? Uri.EscapeDataString(values[index++]) : part));
    }

    private static byte[] Json(object? value) => JsonSerializer.SerializeToUtf8Bytes(CronflowJson.ToElement(value), CronflowJson.Options);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_apiRoot, path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        if (_options.ApiKey is { Length: > 0 } apiKey)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        if (_options.FunctionsKey is { Length: > 0 } functionsKey)
        {
            request.Headers.Add("x-functions-key", functionsKey);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, ErrorContext context, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, context, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync<T>(stream, CronflowJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new CronflowApiException((int)response.StatusCode, null, $"The host answered {(int)response.StatusCode} with an empty body.");
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, ErrorContext context, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw ToException((int)response.StatusCode, await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false), context);
        }
    }

    /// <summary>The answer's <c>error</c> object, or null when it has none (such as the Functions host's own 401).</summary>
    private static async Task<ErrorDetail?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<ErrorBody>(cancellationToken).ConfigureAwait(false);
            return body?.Error is { Code.Length: > 0 } error ? error : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The exception the engine's client throws for the same failure; <see cref="CronflowApiException"/> when there is none.</summary>
    internal static Exception ToException(int statusCode, ErrorDetail? error, ErrorContext context)
    {
        if (error is null)
        {
            return new CronflowApiException(statusCode, null, $"The host answered {statusCode} without a Cronflow error body{(statusCode == 401 ? " (a missing or wrong key)" : "")}.");
        }

        var message = error.Message;
        switch (error.Code)
        {
            case ApiErrorCodes.WorkflowNotFound when context.WorkflowId is { } workflowId:
                return new WorkflowNotFoundException(workflowId);
            case ApiErrorCodes.RunNotFound when context.RunId is { } runId:
                return new RunNotFoundException(runId);
            case ApiErrorCodes.ResumeTokenNotFound:
                return new ResumeTokenNotFoundException();
            case ApiErrorCodes.RunConflict when context.RunId is { } runId:
                // The API answers with the engine's own message, "Run '<id>' already exists <reason>."
                var prefix = $"Run '{runId}' already exists ";
                var reason = message.StartsWith(prefix, StringComparison.Ordinal) && message.EndsWith('.') ? message[prefix.Length..^1] : $"({message.TrimEnd('.')})";
                return new RunConflictException(runId, reason);
            case ApiErrorCodes.RunNotEnded when context.RunId is { } runId:
                // The API answers with the engine's own message, "Run '<id>' cannot be purged: <reason>."
                var purgePrefix = $"Run '{runId}' cannot be purged: ";
                return new RunNotEndedException(runId, message.StartsWith(purgePrefix, StringComparison.Ordinal) && message.EndsWith('.') ? message[purgePrefix.Length..^1] : message.TrimEnd('.'));
            case ApiErrorCodes.PayloadTooLarge when LimitPattern().Match(message) is { Success: true } limit:
                return new PayloadTooLargeException(
                    context.What ?? "The request body",
                    context.BodySize,
                    int.Parse(limit.Groups["limit"].Value, System.Globalization.CultureInfo.InvariantCulture),
                    limit.Groups["name"].Value);
            case ApiErrorCodes.BadRequest when context.Resume && ResumeFieldPattern().Match(message) is { Success: true } field:
                return new InvalidResumePayloadException(field.Groups["field"].Value, field.Groups["expected"].Value, field.Groups["actual"].Value);
            case ApiErrorCodes.BadRequest or ApiErrorCodes.BadJson or ApiErrorCodes.TooDeep or ApiErrorCodes.SchemaViolation:
                var problems = error.Problems is { Count: > 0 } list ? " " + string.Join(" ", list.Select(p => string.IsNullOrEmpty(p.Path) ? p.Message : $"{p.Path}: {p.Message}")) : "";
                return new ArgumentException(message + problems);
            case ApiErrorCodes.NotSupported:
                return new NotSupportedException(message);
            default:
                return new CronflowApiException(statusCode, error.Code, message);
        }
    }

    [GeneratedRegex(@"over the limit of (?<limit>\d+) bytes \((?<name>[^)]+)\)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LimitPattern();

    [GeneratedRegex(@"^The resume payload's '(?<field>[^']+)' must be (?<expected>.+); it is (?<actual>.+)\.$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ResumeFieldPattern();

    /// <summary>What a request was about, to build the engine's exception from an error answer.</summary>
    internal sealed record ErrorContext(string? WorkflowId = null, string? RunId = null, string? What = null, int BodySize = 0, bool Resume = false);

    internal sealed record ErrorBody(ErrorDetail? Error);

    internal sealed record ErrorDetail(string Code, string Message, IReadOnlyList<ErrorProblem>? Problems);

    internal sealed record ErrorProblem(string? Path, string Message);

    private sealed record AcceptedBody(string RunId);

    private sealed record PublishedBody(IReadOnlyList<string> RunIds);

    private sealed record RunListBody(IReadOnlyList<RunInfo> Runs, string? ContinuationToken);
}

/// <summary>How a <see cref="CronflowHttpClient"/> reaches the API: its path, the key, and how often it polls.</summary>
public sealed class CronflowHttpClientOptions
{
    /// <summary>
    /// The key of the local host (<c>CronflowHostOptions.ApiKey</c>), sent as <c>x-api-key</c>. Read it from the
    /// environment or a secret store, not from a command line.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>An Azure Functions key (function or host key), sent as <c>x-functions-key</c>.</summary>
    public string? FunctionsKey { get; set; }

    /// <summary>The path of the API below the host's address (default <c>api</c>).</summary>
    public string ApiPath { get; set; } = "api";

    /// <summary>How often <see cref="CronflowHttpClient.WaitForRunAsync"/> asks for the run (default 250 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The clock of <see cref="CronflowHttpClient.WaitForRunAsync"/>'s deadline and polling (default: the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
