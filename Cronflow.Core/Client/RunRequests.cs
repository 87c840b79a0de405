using System.Text.Json;

namespace Cronflow;

/// <summary>The checks and inputs every client makes before it starts a run, whatever Durable Task client it uses.</summary>
internal static class RunRequests
{
    /// <summary>A new random run id.</summary>
#pragma warning disable RS0030 // Client code, not orchestration code: run ids are chosen before the run exists.
    public static string NewRunId() => Guid.NewGuid().ToString("N");
#pragma warning restore RS0030

    public static RunInput Create(WorkflowRegistry registry, CronflowOptions options, string workflowId, object? payload, TriggerInfo? trigger, string? replayOf = null)
    {
        var definition = registry.Get(workflowId);
        var json = ToPayload(payload);
        if (json is { } element)
        {
            CronflowOptions.CheckSize(element, options.MaxPayloadBytes, nameof(CronflowOptions.MaxPayloadBytes), "The payload for workflow '{0}'", workflowId);
        }

        return new RunInput
        {
            WorkflowId = definition.Id,
            Payload = json,
            Fingerprint = definition.Fingerprint,
            Trigger = trigger is null || (trigger.Kind == TriggerKind.Manual && trigger.Headers.Count == 0 && trigger.Source is null) ? null : trigger,
            ReplayOf = replayOf,
            Trace = CronflowTelemetry.NewRunTrace(),
        };
    }

    /// <summary>
    /// Whether a run's payload goes into the output store (when the host has one) as the run starts: when it is larger
    /// than the inline allowance (at least <see cref="Interpreter.MinStoredBytes"/>), as a step output would be, unless
    /// the allowance is unlimited (<see cref="CronflowOptions.InlineOutputBytes"/> at <see cref="int.MaxValue"/> keeps
    /// everything inline).
    /// </summary>
    public static bool StoresPayload(CronflowOptions options, JsonElement? payload) =>
        payload is { } json && options.InlineOutputBytes != int.MaxValue
        && System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(json).Length > Math.Max(Interpreter.MinStoredBytes, options.InlineOutputBytes);

    /// <summary>Serializes an event or resume payload, checking its size.</summary>
    public static JsonElement? ToEventPayload(CronflowOptions options, string what, object? payload)
    {
        var json = ToPayload(payload);
        if (json is { } element)
        {
            CronflowOptions.CheckSize(element, options.MaxEventBytes, nameof(CronflowOptions.MaxEventBytes), "{0}", what);
        }

        return json;
    }

    /// <summary>Checks that an existing run with the requested id is the same request (idempotent trigger).</summary>
    public static void EnsureSameRun(string runId, RunInput? existing, RunInput requested)
    {
        if (existing is null)
        {
            throw new RunConflictException(runId, "and its input cannot be read");
        }

        if (!string.Equals(existing.WorkflowId, requested.WorkflowId, StringComparison.Ordinal))
        {
            throw new RunConflictException(runId, $"for workflow '{existing.WorkflowId}', not '{requested.WorkflowId}'");
        }

        if (!FlowValue.FromOwned(existing.Payload).Equals(FlowValue.FromOwned(requested.Payload)))
        {
            throw new RunConflictException(runId, "with a different payload");
        }
    }

    /// <summary>
    /// Finds the instance and event a resume token addresses, checking that the instance is waiting on exactly that
    /// token (SHA-256 digests compared in constant time). Throws <see cref="ResumeTokenNotFoundException"/> otherwise.
    /// </summary>
    public static async Task<(string InstanceId, string EventName)> ResolveResumeAsync(string token, Func<string, Task<InstanceSnapshot?>> getInstance)
    {
        if (!ResumeTokens.TryParse(token, out var instanceId, out var secret))
        {
            throw new ResumeTokenNotFoundException();
        }

        var snapshot = await getInstance(instanceId).ConfigureAwait(false);
        var progress = snapshot is { State: InstanceState.Running or InstanceState.Pending or InstanceState.Suspended }
            ? RunInfoMapper.ReadProgress(snapshot.SerializedCustomStatus)
            : null;
        var waiting = progress?.Pauses?.Any(p => ResumeTokens.Matches(p.Token, token)) == true;
        if (!waiting || progress?.Result is not null)
        {
            throw new ResumeTokenNotFoundException();
        }

        return (instanceId, ResumeTokens.EventName(secret));
    }

    public static void ValidateRunId(string runId)
    {
        if (string.IsNullOrWhiteSpace(runId) || runId.Length > 200 || runId.Any(c => char.IsControl(c) || c is '/' or '\\' or '#' or '?' or RunInfoMapper.ChildSeparator))
        {
            throw new ArgumentException($"The run id '{runId}' must be 1 to 200 characters without '/', '\\', '#', '?', '~' or control characters.", nameof(runId));
        }
    }

    private static JsonElement? ToPayload(object? payload)
    {
        var flow = FlowValue.From(payload);
        return flow.ToNullableJson();
    }
}
