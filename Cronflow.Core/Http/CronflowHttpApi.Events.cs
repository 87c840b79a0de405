using System.Text.Json;

namespace Cronflow.Http;

/// <summary>The routes that deliver data to runs: webhooks, events raised on one run or published to all, and resume tokens.</summary>
internal sealed partial class CronflowHttpApi
{
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
}
