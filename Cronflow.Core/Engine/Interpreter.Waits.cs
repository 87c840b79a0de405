using System.Text.Json;
using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>Durable waits: sleeps, external events, human decisions, and the timers they rely on.</summary>
internal sealed partial class Interpreter
{
    /// <summary>How a wait for an event shows in the run's <c>WaitingFor</c> and its record's detail, before the event's name.</summary>
    internal const string EventWaitPrefix = "event ";

    private async Task<FlowValue> RunSleepAsync(SleepNode node, Scope scope, CancellationToken cancel)
    {
        var until = Now + node.Duration;
        MarkWaiting(scope, node, $"sleep until {until:O}");
        await TimerAsync(until.UtcDateTime, cancel);
        ClearWaiting(scope, node);
        return scope.Last;
    }

    private async Task<FlowValue> RunWaitForEventAsync(WaitForEventNode node, Scope scope, CancellationToken cancel)
    {
        MarkWaiting(scope, node, EventWaitPrefix + node.EventName);
        var payload = await WaitForEventAsync(node.EventName, node.WaitTimeout, _clock?.TakeScriptedEvent(node.EventName) == true, cancel);
        ClearWaiting(scope, node);
        if (payload is null)
        {
            throw new NodeFailure(RunErrors.EventTimeout(node.Name, node.EventName, node.WaitTimeout));
        }

        return payload;
    }

    /// <summary>
    /// Waits for an external event; null when the timeout passes first. The losing timer or wait is always cancelled.
    /// A wait the virtual-time test harness answers (<paramref name="scripted"/>) has no timeout: it is work in flight.
    /// </summary>
    private async Task<FlowValue?> WaitForEventAsync(string eventName, TimeSpan? timeout, bool scripted, CancellationToken cancel)
    {
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var wait = _context.WaitForExternalEvent<JsonElement?>(eventName, waitCancel.Token);
        if (scripted)
        {
            _clock?.Busy(wait, waitCancel.Token);
        }
        else if (timeout is { } limit)
        {
            using var timerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var timer = TimerAsync(Now.UtcDateTime + limit, timerCancel.Token);
            var winner = await Task.WhenAny(wait, timer);
            if (winner != wait)
            {
                waitCancel.Cancel();
                ThrowIfAbandoned(cancel);
                return null;
            }

            timerCancel.Cancel();
        }

        try
        {
            return FlowValue.FromOwned(await wait);
        }
        catch (TaskCanceledException)
        {
            ThrowIfAbandoned(cancel);
            throw;
        }
    }

    private async Task<FlowValue> RunHumanAsync(HumanNode node, Scope scope, CancellationToken cancel)
    {
        var secret = await NewResumeSecretAsync(node);
        var token = ResumeTokens.Create(_context.InstanceId, secret);
        var pause = new PauseInfo
        {
            Token = token,
            Step = node.Name,
            Description = node.Description,
            ExpiresAt = node.WaitTimeout is { } t ? Now + t : null,
        };
        (_progress.Pauses ??= []).Add(pause);
        MarkWaiting(scope, node, $"human: {node.Description}");
        try
        {
            if (node.OnPause is not null)
            {
                // Clients find a pause's token in the custom status, which some backends (Azure Storage) write after
                // sending the episode's messages: OnPause is scheduled one episode later, once the status that lists
                // the token is stored, so that OnPause may resume with it at once.
                await Busy(_context.CreateTimer(_context.CurrentUtcDateTime, cancel), cancel);
                await CallStepAsync(node.Path + WorkflowDefinition.OnPauseSuffix, node.Name, scope, 1, null, null, cancel, token);
            }

            var decision = await WaitForEventAsync(ResumeTokens.EventName(secret), node.WaitTimeout, _clock?.ResumesScripted == true, cancel);
            if (decision is null)
            {
                if (node.OnTimeout is not null)
                {
                    await CallStepAsync(node.Path + WorkflowDefinition.OnTimeoutSuffix, node.Name, scope, 1, null, null, cancel);
                }

                return FlowValue.From(new HumanDecision(false, null, null, null, "timeout", true));
            }

            if (ResumePayload.Check(decision.ToNullableJson()) is { } invalid)
            {
                throw new NodeFailure(RunErrors.InvalidResumePayload(node.Name, invalid));
            }

            return FlowValue.From(new HumanDecision(
                decision["approved"].Json.ValueKind == JsonValueKind.True,
                StringOrNull(decision["reason"]),
                StringOrNull(decision["approvedBy"]),
                decision["approvedAt"].IsNull ? Now : decision["approvedAt"].As<DateTimeOffset?>() ?? Now,
                "resumed",
                false));
        }
        finally
        {
            _progress.Pauses.Remove(pause);
            if (_progress.Pauses.Count == 0)
            {
                _progress.Pauses = null;
            }

            ClearWaiting(scope, node);
        }
    }

    /// <summary>Draws a pause's secret in the step activity: random, and recorded in the history for replay.</summary>
    private async Task<string> NewResumeSecretAsync(HumanNode node)
    {
        var path = node.Path + ResumeTokens.SecretSuffix;
        var request = _context.IsReplaying ? null : new StepRequest { WorkflowId = _definition.Id, Path = path, Name = node.Name, RunId = _runId, StartedAt = _startedAt };
        var outcome = await CallEngineActivityAsync(node, path, request);
        if (outcome.Output is not { ValueKind: JsonValueKind.String } secret)
        {
            throw new ReplayMismatchSignal(RunErrors.ReplayMismatch(node.Name, _runId, _definition.Id, outcome.Path, path));
        }

        return secret.GetString()!;
    }

    private static string? StringOrNull(FlowValue value) => value.Json.ValueKind switch
    {
        JsonValueKind.String => value.Json.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.ToString(),
    };

    private void MarkWaiting(Scope scope, Node node, string what)
    {
        _progress.WaitingFor = what;
        if (scope.Record)
        {
            _records.UpdateLatest(node.Path, r => r with { Status = StepStatus.Waiting, Detail = what });
        }
    }

    private void ClearWaiting(Scope scope, Node node)
    {
        _progress.WaitingFor = null;
        if (scope.Record)
        {
            _records.UpdateLatest(node.Path, r => r with { Status = StepStatus.Running });
        }
    }
}
