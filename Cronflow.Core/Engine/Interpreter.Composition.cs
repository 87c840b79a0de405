using System.Text.Json;
using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>Composition: subflows, while loops (nested ones in sub-orchestrations of their own) and child runs.</summary>
internal sealed partial class Interpreter
{
    /// <summary>
    /// Runs a subflow's or chunk's work until it ends or the parent abandons it (the parent's block was decided
    /// without it): then the work stops scheduling, its open steps are abandoned, and the child ends as cancelled.
    /// </summary>
    private async Task<FlowValue> UntilAbandonedAsync(Func<CancellationToken, Task<FlowValue>> run)
    {
        using var work = new CancellationTokenSource();
        using var waitCancel = new CancellationTokenSource();
        var task = run(work.Token);
        var abandon = _context.WaitForExternalEvent<string?>(ChildEvents.Abandon, waitCancel.Token);
        if (await Task.WhenAny(task, abandon) == task)
        {
            waitCancel.Cancel();
            return await task;
        }

        work.Cancel();
        Abandon(task);
        throw new RunCancelledSignal(RunErrors.RunCancelled(null, $"The run that started '{_context.InstanceId}' no longer needs its result."));
    }

    private async Task<FlowValue> RunSubflowAsync(SubflowNode node, Scope scope, int attempt, CancellationToken cancel)
    {
        if (!_registry.TryGet(node.WorkflowId, out var target))
        {
            throw new NodeFailure(RunErrors.SubflowNotFound(node.Name, node.WorkflowId));
        }

        var payload = node.Input is { } select
            ? await EvaluateAsync(node, "input", () => FlowValue.From(select(Flow(scope))))
            : scope.Last;
        var input = new RunInput
        {
            WorkflowId = target.Id,
            Payload = payload.ToNullableJson(),
            Fingerprint = target.Fingerprint,
            Trigger = new TriggerInfo { Kind = TriggerKind.Workflow, Source = _runId },
            Parent = _context.InstanceId,
            Trace = ChildTrace(),
            Virtual = VirtualState(),
        };
        var instanceId = scope.Items.Count == 0 && attempt == 1
            ? $"{_context.InstanceId}:{node.Name}"
            : $"{_context.InstanceId}:{node.Name}:{_context.NewGuid():N}";
        MarkWaiting(scope, node, $"subflow {target.Id} ({instanceId})");
        RunResult result;
        try
        {
            result = await CallChildAsync(instanceId, input, node.Name, cancel);
        }
        finally
        {
            ClearWaiting(scope, node);
        }

        if (result.Status == RunStatus.Completed)
        {
            return FlowValue.FromOwned(result.Output);
        }

        throw new NodeFailure(RunErrors.SubflowFailed(node.Name, target.Id, instanceId, result.Status == RunStatus.Cancelled, result.Error));
    }

    private async Task<FlowValue> RunWhileAsync(WhileNode node, Scope scope, int attempt, BlockState block, CancellationToken cancel)
    {
        // A retried loop starts over from the Last it began with.
        if (block.LoopStart is null)
        {
            block.LoopStart = scope.Last;
        }
        else if (block.ResumeIteration is null)
        {
            scope.Last = block.LoopStart;
        }

        var topLevel = scope.Record && !node.Path.Contains('/', StringComparison.Ordinal);
        if (!topLevel)
        {
            return await RunNestedLoopAsync(node, scope, attempt, block, cancel);
        }

        var iteration = block.ResumeIteration ?? 0;
        var firstIteration = iteration;
        block.ResumeIteration = null;
        for (var guard = 0; guard <= node.MaxIterations + 1; guard++)
        {
            if (!await ConditionHoldsAsync(node, scope))
            {
                break;
            }

            iteration = CountIteration(node, iteration);
            var output = await CallStepAsync(node.Path, node.Name, scope, attempt, null, Remaining(block.Deadline), cancel);
            ThrowIfAbandoned(cancel);
            scope.Last = output;
            scope.Set(node.Name, output);
            if (scope.Record)
            {
                _records.UpdateLatest(node.Path, r => r with { Detail = $"{iteration} iterations" });
            }

            // Continuing as new ends this execution, which the backend does only once every task it started has ended:
            // while a decided block's abandoned work is still running, the loop goes on and continues as new later.
            if (iteration - firstIteration >= ContinueAsNewEvery && _openAbandoned == 0)
            {
                throw new ContinueAsNewSignal(new RunInput
                {
                    WorkflowId = _definition.Id,
                    Payload = _payload.ToNullableJson(),
                    PayloadKey = _input.PayloadKey,
                    Fingerprint = _definition.Fingerprint,
                    Trigger = _input.Trigger,
                    ReplayOf = _input.ReplayOf,
                    Trace = _input.Trace,
                    Virtual = VirtualState(withScript: true),
                    Resume = new ResumeState
                    {
                        NodeIndex = int.Parse(node.Path, System.Globalization.CultureInfo.InvariantCulture),
                        Iteration = iteration,
                        Last = scope.Last.ToNullableJson(),
                        LastKey = scope.LastKey,
                        Steps = scope.Flatten() ?? [],
                        StepKeys = scope.Transport().Refs,
                        Records = _records.WithOutputs(),
                        RunId = _runId,
                        StartedAt = _startedAt,
                        Deadline = _deadline,
                        HoldsSlot = _holdsSlot,
                        Generation = _generation + 1,
                        LoopAttempt = attempt,
                        LoopDeadline = block.Deadline,
                        LoopStart = block.LoopStart.ToNullableJson(),
                    },
                });
            }
        }

        return scope.Last;
    }

    /// <summary>
    /// Runs a loop nested in a block (an <c>If</c> branch, a for-each item) as a sub-orchestration of this orchestrator,
    /// which continues as new every <see cref="ContinueAsNewEvery"/> iterations: no history grows with the iterations.
    /// </summary>
    private async Task<FlowValue> RunNestedLoopAsync(WhileNode node, Scope scope, int attempt, BlockState block, CancellationToken cancel)
    {
        var input = InternalChildInput();
        var (inline, refs) = scope.Transport(_context.InstanceId);
        // Last is passed by reference when it is a stored output, or the payload when that is stored.
        var lastKey = scope.LastKey is { } key ? StepOutputKeys.Qualify(_context.InstanceId, key)
            : _payloadKey is not null && ReferenceEquals(scope.Last, _payload) && _payloadHeld ? _payloadKey
            : null;
        input.Loop = new LoopInput
        {
            Path = node.Path,
            ItemChain = [.. scope.Items],
            Last = lastKey is null ? scope.Last.ToNullableJson() : null,
            LastKey = lastKey,
            Steps = inline ?? [],
            StepKeys = refs,
            Attempt = attempt,
            Deadline = block.Deadline,
            RunDeadline = _deadline,
            RunId = _runId,
            StartedAt = _startedAt,
        };
        ThrowIfAbandoned(cancel);
        var instanceId = $"{_context.InstanceId}~{node.Path.Replace('/', '.')}~loop-{_context.NewGuid():N}";
        var result = await CallChildAsync(instanceId, input, node.Name, cancel);
        ThrowIfAbandoned(cancel);
        if (result.Status != RunStatus.Completed)
        {
            throw new NodeFailure(result.Error ?? RunErrors.LoopFailed(node.Name, instanceId));
        }

        var outcome = FlowValue.FromOwned(result.Output);
        var iterations = outcome["iterations"].As<int>();
        if (iterations > 0)
        {
            scope.Last = outcome["last"];
            scope.Set(node.Name, scope.Last);
            SetDetail(scope, node, $"{iterations} iterations");
        }

        return scope.Last;
    }

    /// <summary>
    /// The input of an internal child of this run (a for-each chunk, a nested loop): the same workflow, payload and
    /// trigger, the trace continued under the current span, and this instance as the parent it reports to. A stored
    /// payload goes by its reference only: the child fetches it if one of its conditions or selectors reads it.
    /// </summary>
    private RunInput InternalChildInput() => new()
    {
        WorkflowId = _definition.Id,
        Fingerprint = _definition.Fingerprint,
        Payload = _payloadKey is null ? _payload.ToNullableJson() : null,
        PayloadKey = _input.PayloadKey,
        Trigger = _input.Trigger,
        Trace = ChildTrace(),
        Parent = _context.InstanceId,
        Virtual = VirtualState(),
    };

    /// <summary>
    /// The scope a chunk or a nested loop's sub-orchestration starts from: its parent's <c>Last</c> and step outputs, those
    /// in the output store held only by reference (their values are fetched if a condition or selector reads them).
    /// </summary>
    private Scope ChildScope(JsonElement? last, string? lastKey, IReadOnlyList<JsonElement> itemChain, Dictionary<string, JsonElement?> steps, Dictionary<string, string>? refs)
    {
        var scope = new Scope(_stored, FlowValue.FromOwned(last), itemChain, record: false);
        if (lastKey is not null)
        {
            scope.SetLastReference(lastKey);
        }

        foreach (var (name, value) in steps)
        {
            scope.Set(name, FlowValue.FromOwned(value));
        }

        foreach (var (name, reference) in refs ?? [])
        {
            scope.SetReference(name, reference);
        }

        return scope;
    }

    /// <summary>The iterations of a nested loop, in its own sub-orchestration (see <see cref="RunNestedLoopAsync"/>).</summary>
    private async Task<RunResult> RunLoopAsync(LoopInput loop)
    {
        try
        {
            if (_definition.FindNode(loop.Path, loop.ItemChain) is not WhileNode node)
            {
                throw new NodeFailure(RunErrors.LoopNotFound(loop.Path, _definition.Id));
            }

            var scope = ChildScope(loop.Last, loop.LastKey, loop.ItemChain, loop.Steps, loop.StepKeys);

            // The loop stops by itself at its deadline (or the run's): its parent cannot stop a sub-orchestration.
            var runFirst = loop.RunDeadline is { } runDeadline && (loop.Deadline is null || runDeadline < loop.Deadline);
            var stop = runFirst ? loop.RunDeadline : loop.Deadline;
            using var timerCancel = new CancellationTokenSource();
            var timer = stop is { } at ? TimerAsync(at.UtcDateTime, timerCancel.Token) : null;

            // The parent abandons the loop when the block around it was decided without it (another item failed, a
            // timeout): the loop starts no further iteration, as an inline loop stops after its current one.
            var abandoned = _input.Parent is null ? null : _context.WaitForExternalEvent<string?>(ChildEvents.Abandon, timerCancel.Token);
            RunResult AbandonedByParent() => Cancelled(RunErrors.BlockAbandoned());

            var iteration = loop.Iteration;
            var timedOut = false;
            try
            {
                while (true)
                {
                    if (abandoned is { IsCompleted: true })
                    {
                        return AbandonedByParent();
                    }

                    if (timer is { IsCompleted: true })
                    {
                        timedOut = true;
                        break;
                    }

                    if (!await ConditionHoldsAsync(node, scope))
                    {
                        break;
                    }

                    iteration = CountIteration(node, iteration);

                    var call = CallStepAsync(node.Path, node.Name, scope, loop.Attempt, null, Remaining(stop), CancellationToken.None);
                    List<Task> waits = [call];
                    if (timer is not null)
                    {
                        waits.Add(timer);
                    }

                    if (abandoned is not null)
                    {
                        waits.Add(abandoned);
                    }

                    if (waits.Count > 1 && await Task.WhenAny(waits) != call)
                    {
                        Abandon(call);
                        if (abandoned is { IsCompleted: true })
                        {
                            return AbandonedByParent();
                        }

                        timedOut = true;
                        break;
                    }

                    scope.Last = await call;
                    scope.Set(node.Name, scope.Last);
                    if (iteration % ContinueAsNewEvery == 0)
                    {
                        timerCancel.Cancel();
                        loop.Iteration = iteration;
                        // The same instance goes on: references keep naming this instance's outputs and the inherited ones.
                        var (inline, refs) = scope.Transport();
                        loop.LastKey = scope.LastKey;
                        loop.Last = loop.LastKey is null ? scope.Last.ToNullableJson() : null;
                        loop.Steps = inline ?? [];
                        loop.StepKeys = refs;
                        _context.ContinueAsNew(new RunInput { WorkflowId = _input.WorkflowId, Fingerprint = _input.Fingerprint, Payload = _input.Payload, PayloadKey = _input.PayloadKey, Trigger = _input.Trigger, Loop = loop, Parent = _input.Parent, Trace = _input.Trace, Virtual = VirtualState() }, preserveUnprocessedEvents: true);
                        return new RunResult { Status = RunStatus.Running };
                    }
                }
            }
            finally
            {
                timerCancel.Cancel();
            }

            if (timedOut)
            {
                throw new NodeFailure(runFirst
                    ? RunErrors.WorkflowTimeout(_definition.Id, _definition.Timeout)
                    : RunErrors.LoopTimeout(node.Name, node.Policy.Timeout));
            }

            _store?.InstanceEnded(_runId, _context.InstanceId);
            return Completed(FlowValue.From(new LoopOutcome(scope.Last.ToNullableJson(), iteration)));
        }
        catch (NodeFailure failure)
        {
            return Failed(failure.Error);
        }
    }

    /// <summary>Evaluates the loop's condition on the scope.</summary>
    private ValueTask<bool> ConditionHoldsAsync(WhileNode node, Scope scope)
    {
        var flow = Flow(scope);
        return EvaluateAsync(node, node.Name, () => node.Condition(flow));
    }

    /// <summary>Counts the iteration a holding condition allows, and fails the loop once that count passes <see cref="WhileNode.MaxIterations"/>.</summary>
    private static int CountIteration(WhileNode node, int iteration)
    {
        iteration++;
        if (iteration > node.MaxIterations)
        {
            throw MaxIterationsExceeded(node);
        }

        return iteration;
    }

    private static NodeFailure MaxIterationsExceeded(WhileNode node) =>
        new(RunErrors.MaxIterationsExceeded(node.Name, node.MaxIterations));

    /// <summary>The time a loop iteration's body has before the loop's deadline (its cancellation token's timeout).</summary>
    private TimeSpan? Remaining(DateTimeOffset? deadline) =>
        deadline is { } at ? TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (at - Now).Ticks)) : null;

    /// <summary>A top-level loop continues as new after this many iterations, so that its history stays small.</summary>
    internal const int ContinueAsNewEvery = 100;

    /// <summary>
    /// Runs a child orchestration (a subflow, a for-each chunk) and returns its result: when the child ends, or as soon
    /// as it reports a result it decided while work of its own is still running (a race's loser, a timed-out step), so
    /// that this run never waits for work the child abandoned. When <paramref name="cancel"/> fires first, the child is
    /// told that its result is no longer needed.
    /// </summary>
    private async Task<RunResult> CallChildAsync(string instanceId, RunInput input, string name, CancellationToken cancel)
    {
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var child = Busy(_context.CallSubOrchestratorAsync<RunResult>(WorkflowOrchestrator.Name, input, new SubOrchestrationOptions { InstanceId = instanceId }), cancel);
        var decided = _context.WaitForExternalEvent<RunResult>(ChildEvents.Decided(instanceId), waitCancel.Token);
        if (await Task.WhenAny(child, decided) == child)
        {
            waitCancel.Cancel();
            try
            {
                var result = await child;
                CatchUpWith(result);
                return result;
            }
            catch (TaskFailedException ex)
            {
                return Failed(RunErrors.FromTaskFailure(name, ex.FailureDetails));
            }
        }

        if (decided.IsCanceled)
        {
            // The enclosing block was decided without this child: it stops, and its steps' tokens fire.
            _context.SendEvent(instanceId, ChildEvents.Abandon, _context.InstanceId);
            Abandon(child);
            ThrowIfAbandoned(cancel);
        }

        // The child decided; what it left running ends on its own, and this run does not wait for it.
        Abandon(child);
        var decidedResult = await decided;
        CatchUpWith(decidedResult);
        return decidedResult;
    }
}
