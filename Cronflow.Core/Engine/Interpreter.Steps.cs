using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>Step calls: the request a step activity runs with, its cached outputs, and the calls a block can abandon.</summary>
internal sealed partial class Interpreter
{
    private Task<FlowValue> CallStepAsync(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, CancellationToken cancel, string? resumeToken = null)
    {
        // Earlier outputs travel in the input only while they are small; beyond that the step reads them from the
        // output cache of the host that runs it, so inputs do not grow with every step (see StepOutputCache).
        if (_cache is null || scope.Bytes <= _inlineOutputBytes)
        {
            return CallActivityAsync(path, name, scope, attempt, error, timeout, resumeToken, inline: true, cancel);
        }

        scope.Spill();
        return CallWithCachedOutputsAsync(path, name, scope, attempt, error, timeout, resumeToken, cancel);
    }

    private async Task<FlowValue> CallWithCachedOutputsAsync(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, CancellationToken cancel)
    {
        try
        {
            return await CallActivityAsync(path, name, scope, attempt, error, timeout, resumeToken, inline: false, cancel);
        }
        catch (NodeFailure failure) when (failure.Error.ErrorType == StepOutputsMissingException.TypeName)
        {
            // The host that ran the step did not hold the outputs it read: run it again with every output inline.
            return await CallActivityAsync(path, name, scope, attempt, error, timeout, resumeToken, inline: true, cancel);
        }
    }

    private async Task<FlowValue> CallActivityAsync(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, bool inline, CancellationToken cancel)
    {
        // Calls that a block could abandon are tracked, so that an abandoned one can be listed for the host running it.
        var call = _calls++;
        var watched = cancel.CanBeCanceled;
        if (watched)
        {
            _openCalls[call] = cancel;
        }

        // While replaying, the call is matched to its recorded TaskScheduled event by name and order, and its input is
        // never sent again: building and serializing the request would be wasted work on every episode.
        var request = _context.IsReplaying ? null : BuildRequest(path, name, scope, attempt, error, timeout, resumeToken, inline, call);
        var spanStart = Now;
        var spanParent = _span.Value?.Id;

        StepOutcome outcome;
        try
        {
            outcome = await Busy(_context.CallActivityAsync<StepOutcome>(StepActivity.Name, request), cancel);
        }
        catch (TaskFailedException ex)
        {
            var failure = RunErrors.FromTaskFailure(name, ex.FailureDetails);
            EndStepSpan(path, name, attempt, call, spanStart, spanParent, failure);
            throw new NodeFailure(failure);
        }
        finally
        {
            if (watched)
            {
                EndCall(call);
            }
        }

        if (outcome is null || !string.Equals(outcome.Path, path, StringComparison.Ordinal))
        {
            // Replaying a history recorded by another definition: this result belongs to another step.
            throw new ReplayMismatchSignal(RunErrors.ReplayMismatch(name, _runId, _definition.Id, outcome?.Path, path));
        }

        EndStepSpan(path, name, attempt, call, spanStart, spanParent, null);
        return FlowValue.FromOwned(outcome.Output);
    }

    private StepRequest BuildRequest(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, bool inline, int call) =>
        new()
        {
            WorkflowId = _definition.Id,
            Path = path,
            Name = name,
            Attempt = attempt,
            ItemChain = scope.Items.Count == 0 ? null : [.. scope.Items],
            Payload = _payload.ToNullableJson(),
            Last = scope.Last.ToNullableJson(),
            Steps = inline ? scope.Flatten() : null,
            OtherStepNames = inline ? null : scope.Names(),
            CacheInstance = inline ? null : _context.InstanceId,
            CacheScope = inline || scope.Key.Length == 0 ? null : scope.Key,
            RunId = _runId,
            StartedAt = _startedAt,
            Trigger = _trigger.Kind == TriggerKind.Manual && _trigger.Headers.Count == 0 ? null : _trigger,
            Error = error,
            TimeoutMs = timeout is { } t ? (long)t.TotalMilliseconds : null,
            // On the orchestration's clock, which the step's host compares with its own: a step takes real time.
            Deadline = timeout is { } limit ? new DateTimeOffset(_context.CurrentUtcDateTime + limit, TimeSpan.Zero) : null,
            ResumeToken = resumeToken,
            Call = call,
            Instance = _context.InstanceId == _runId ? null : _context.InstanceId,
        };

    /// <summary>A tracked call's result arrived: it is no longer open, nor abandoned.</summary>
    private void EndCall(int call)
    {
        _openCalls.Remove(call);
        if (_progress.Abandoned is { } abandoned && abandoned.Remove(call) && abandoned.Count == 0)
        {
            _progress.Abandoned = null;
        }
    }

    /// <summary>
    /// Lists the open calls whose block token has fired in the custom status, where the hosts running them look
    /// (<see cref="IStepWatch"/>) and fire their steps' tokens.
    /// </summary>
    private void MarkAbandonedCalls()
    {
        foreach (var (call, token) in _openCalls)
        {
            if (token.IsCancellationRequested && _progress.Abandoned?.Contains(call) != true)
            {
                (_progress.Abandoned ??= []).Add(call);
            }
        }
    }
}
