using System.Text.Json;

namespace Cronflow.Http;

/// <summary>The run management routes: trigger, get (with an optional wait), list, cancel, replay and purge.</summary>
internal sealed partial class CronflowHttpApi
{
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

    /// <summary>DELETE /runs/{runId}: 204 once purged, 404 when no run has the id, 409 while it has not ended.</summary>
    private async Task<ApiResponse> PurgeAsync(string runId, CancellationToken cancellationToken) =>
        await _client.PurgeRunAsync(runId, cancellationToken).ConfigureAwait(false) ? ApiResponse.NoContent() : RunNotFound(runId);
}
