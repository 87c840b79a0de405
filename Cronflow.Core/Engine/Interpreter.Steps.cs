using System.Diagnostics.CodeAnalysis;
using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>Step calls: the request a step activity runs with, its cached outputs, and the calls a block can abandon.</summary>
internal sealed partial class Interpreter
{
    /// <summary>The least <see cref="StepRequest.StoreAbove"/>: an output this small travels inline even past the allowance.</summary>
    internal const int MinStoredBytes = 128;

    private Task<FlowValue> CallStepAsync(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, CancellationToken cancel, string? resumeToken = null) =>
        CallActivityAsync(path, name, scope, attempt, error, timeout, resumeToken, cancel);

    private Task<FlowValue> CallActivityAsync(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, CancellationToken cancel) =>
        EndCallAsync(StartCall(path, name, scope, attempt, error, timeout, resumeToken, cancel));

    /// <summary>
    /// Awaits a started call and ends it. Its own frame holds only the call, not what starting it took: a block that
    /// runs many steps side by side keeps one such frame per step in flight, in every episode.
    /// </summary>
    private async Task<FlowValue> EndCallAsync(StepCall call)
    {
        StepOutcome outcome;
        try
        {
            outcome = await call.Outcome;
        }
        catch (TaskFailedException ex)
        {
            throw CallFailed(call, ex);
        }
        finally
        {
            EndCall(call);
        }

        return CallCompleted(call, outcome);
    }

    /// <summary>
    /// Schedules a step's activity call. Its caller awaits <see cref="StepCall.Outcome"/>, then ends the call with
    /// <see cref="EndCall(in StepCall)"/> and <see cref="CallCompleted"/> or <see cref="CallFailed"/>: a plain step in a
    /// sequence does so in the sequence's own frame (see <see cref="ExecuteListAsync"/>).
    /// </summary>
    private StepCall StartCall(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, CancellationToken cancel)
    {
        // Calls that a block could abandon are tracked, so that an abandoned one can be listed for the host running it.
        var call = _calls++;
        var watched = cancel.CanBeCanceled;
        if (watched)
        {
            (_openCalls ??= [])[call] = cancel;
        }

        // While replaying, the call is matched to its recorded TaskScheduled event by name and order, and its input is
        // never sent again: building and serializing the request would be wasted work on every episode.
        var request = _context.IsReplaying ? null : BuildRequest(path, name, scope, attempt, error, timeout, resumeToken, call);
        var spanStart = Now;
        var spanParent = _span.Value;
        var outcome = Busy(_context.CallActivityAsync<StepOutcome>(StepActivity.Name, request), cancel);
        return new StepCall(outcome, path, name, attempt, call, watched, spanStart, spanParent);
    }

    /// <summary>The call's result arrived (or its failure): a watched call is no longer open.</summary>
    private void EndCall(in StepCall call)
    {
        if (call.Watched)
        {
            EndCall(call.Number);
        }
    }

    /// <summary>The failure of a step's activity call, as the node failure its caller throws.</summary>
    private NodeFailure CallFailed(in StepCall call, TaskFailedException exception)
    {
        var failure = RunErrors.FromTaskFailure(call.Name, exception.FailureDetails);
        EndStepSpan(call.Path, call.Name, call.Attempt, call.Number, call.SpanStart, call.SpanParent, failure);
        return new NodeFailure(failure);
    }

    /// <summary>The output of a step's activity call that succeeded, checked against the step it belongs to.</summary>
    private FlowValue CallCompleted(in StepCall call, StepOutcome outcome)
    {
        ThrowIfNotFor(outcome, call.Path, call.Name);
        EndStepSpan(call.Path, call.Name, call.Attempt, call.Number, call.SpanStart, call.SpanParent, null);
        var output = FlowValue.FromOwned(outcome.Output);
        if (outcome.Key is { } key)
        {
            // The step stored its output: later steps receive the key instead of the value.
            _stored.Add(output, key);
        }

        return output;
    }

    /// <summary>A step's activity call in flight, with what ending it needs.</summary>
    private readonly record struct StepCall(Task<StepOutcome> Outcome, string Path, string Name, int Attempt, int Number, bool Watched, DateTimeOffset SpanStart, ActivitySpanIdBox? SpanParent);

    private StepRequest BuildRequest(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, int call)
    {
        // Earlier outputs travel inline while they are small; larger ones were stored by the steps that produced them
        // and travel as keys, so requests do not grow with every step (see IStepOutputStore). The step stores its own
        // output when it would not fit in what is left of the inline allowance.
        var (inline, refs) = scope.Transport();
        var lastKey = scope.LastKey;
        var last = scope.Last;
        var lastIs = lastKey is not null || last.IsNull ? null
            : ReferenceEquals(last, _payload) ? StepRequest.LastIsPayload
            : ReferenceEquals(last, scope.Item) ? StepRequest.LastIsItem
            : inline is not null && scope.InlineNameOf(last) is { } step ? StepRequest.LastIsStep(step)
            : null;
        return new()
        {
            WorkflowId = _definition.Id,
            Path = path,
            Name = name,
            Attempt = attempt,
            ItemChain = scope.Items.Count == 0 ? null : [.. scope.Items],
            // A stored payload travels as its reference: the step reads it when the body first touches it.
            Payload = _payloadKey is null ? _payload.ToNullableJson() : null,
            PayloadKey = _payloadKey,
            // Last travels as a value only when it is neither stored nor already in the request (the payload, the item,
            // an earlier step's output).
            Last = lastKey is null && lastIs is null ? last.ToNullableJson() : null,
            LastKey = lastKey,
            LastIs = lastIs,
            Steps = inline,
            StepKeys = refs,
            StoreAbove = _store is null || _inlineOutputBytes == int.MaxValue ? null : (int)Math.Max(MinStoredBytes, _inlineOutputBytes - scope.InlineBytes),
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
    }

    /// <summary>
    /// Fetches the value of an output that this orchestration holds only by reference (inherited by a chunk or a nested
    /// loop), because a condition or selector read it: through the step activity, which reads the output store, so the
    /// history records the value and a replay gets the same one without I/O.
    /// </summary>
    private Task FetchOutputAsync(Node node, string reference)
    {
        // Items of a window evaluate their conditions one after another while the first fetch is still in flight: they
        // all wait for that one.
        _fetches ??= new(StringComparer.Ordinal);
        if (!_fetches.TryGetValue(reference, out var fetch))
        {
            fetch = ReadOutputAsync(node, reference);
            _fetches[reference] = fetch;
        }

        return fetch;
    }

    /// <summary>Fetches of outputs held by reference, started in this execution, by reference.</summary>
    private Dictionary<string, Task>? _fetches;

    private async Task ReadOutputAsync(Node node, string reference)
    {
        var request = _context.IsReplaying ? null : new StepRequest
        {
            WorkflowId = _definition.Id,
            Path = StepOutputKeys.ReadPath,
            Name = node.Name,
            RunId = _runId,
            StartedAt = _startedAt,
            Instance = _context.InstanceId == _runId ? null : _context.InstanceId,
            Read = reference,
        };
        var outcome = await CallEngineActivityAsync(node, StepOutputKeys.ReadPath, request);
        _stored.AddFetched(reference, FlowValue.FromOwned(outcome.Output));
    }

    /// <summary>
    /// Calls the step activity for the engine's own work rather than a step body (a pause's secret, the read of an
    /// output held by reference): its failure fails <paramref name="node"/>, and its result must be the one recorded
    /// for <paramref name="path"/>. <paramref name="request"/> is null while replaying.
    /// </summary>
    private async Task<StepOutcome> CallEngineActivityAsync(Node node, string path, StepRequest? request)
    {
        StepOutcome outcome;
        try
        {
            outcome = await Busy(_context.CallActivityAsync<StepOutcome>(StepActivity.Name, request), CancellationToken.None);
        }
        catch (TaskFailedException ex)
        {
            throw new NodeFailure(RunErrors.FromTaskFailure(node.Name, ex.FailureDetails));
        }

        ThrowIfNotFor(outcome, path, node.Name);
        return outcome;
    }

    /// <summary>
    /// Throws when a recorded result is not the one of the call at <paramref name="path"/>: the history was recorded by
    /// another definition, and this result belongs to another step.
    /// </summary>
    private void ThrowIfNotFor([NotNull] StepOutcome? outcome, string path, string name)
    {
        if (outcome is null || !string.Equals(outcome.Path, path, StringComparison.Ordinal))
        {
            throw new ReplayMismatchSignal(RunErrors.ReplayMismatch(name, _runId, _definition.Id, outcome?.Path, path));
        }
    }

    /// <summary>A tracked call's result arrived: it is no longer open, nor abandoned.</summary>
    private void EndCall(int call)
    {
        _openCalls?.Remove(call);
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
        foreach (var (call, token) in _openCalls ?? [])
        {
            if (token.IsCancellationRequested && _progress.Abandoned?.Contains(call) != true)
            {
                (_progress.Abandoned ??= []).Add(call);
            }
        }
    }
}
