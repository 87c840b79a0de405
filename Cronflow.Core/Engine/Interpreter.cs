using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>
/// Walks a workflow's nodes inside one orchestration execution. Everything here is deterministic: time comes from
/// the orchestration, waiting is done with durable timers, and step bodies run only in the step activity.
/// </summary>
internal sealed partial class Interpreter
{
    private readonly TaskOrchestrationContext _context;
    private readonly WorkflowRegistry _registry;
    private readonly RunInput _input;
    private readonly RunProgress _progress = new();
    private readonly RunRecorder _records;
    private readonly List<Task> _actions = [];
    private readonly IStepOutputStore? _store;
    private readonly StoredOutputs _stored = new();
    private readonly int _inlineOutputBytes;
    private WorkflowDefinition _definition = null!;

    /// <summary>The run's payload; <see cref="FlowValue.Null"/> while this orchestration holds it only by reference (<see cref="_payloadHeld"/>).</summary>
    private FlowValue _payload = FlowValue.Null;

    /// <summary>The payload's reference in the output store, when the run's client stored it: step requests carry it instead of the payload.</summary>
    private string? _payloadKey;

    /// <summary>
    /// False in a chunk or nested loop of a run whose payload is stored: its input carries only the reference, and a
    /// condition or selector that reads the payload has it fetched (see <see cref="ReadPayload"/>).
    /// </summary>
    private bool _payloadHeld = true;

    private TriggerInfo _trigger = TriggerInfo.Manual;
    private string _runId = "";
    private DateTimeOffset _startedAt;
    private DateTimeOffset? _deadline;
    private ResumeState? _resumeLoop;
    private bool _holdsSlot;

    /// <summary>Whether a decided block left a task open (a race's loser, a timed-out step): see <see cref="Abandon"/>.</summary>
    private bool _leftOpen;
    private bool _continuing;
    private bool _requestedSlot;
    private int _generation;

    /// <summary>Abandoned tasks still open (see <see cref="Abandon"/>): a loop does not continue as new while there are any.</summary>
    private int _openAbandoned;

    /// <summary>The number of the next activity call in this execution (see <see cref="StepRequest.Call"/>).</summary>
    private int _calls;

    /// <summary>Activity calls in flight that a block could abandon, with their block's token.</summary>
    private Dictionary<int, CancellationToken>? _openCalls;

    public Interpreter(TaskOrchestrationContext context, WorkflowRegistry registry, RunInput input, IStepOutputStore? store = null, int inlineOutputBytes = CronflowOptions.DefaultInlineOutputBytes)
    {
        _context = context;
        _registry = registry;
        _input = input ?? new RunInput();
        _store = store;
        _inlineOutputBytes = inlineOutputBytes;
        _clock = _input.Virtual is { } virtualTime ? new VirtualClock(virtualTime) : null;
        _records = new RunRecorder(_progress.Steps, () => Now);
    }

    public async Task<RunResult> RunAsync()
    {
        if (!_registry.TryGet(_input.WorkflowId, out var definition))
        {
            return Failed(RunErrors.WorkflowNotFound(_input.WorkflowId));
        }

        _definition = definition;
        _payload = FlowValue.FromOwned(_input.Payload);
        _payloadHeld = _input.Payload is not null || _input.PayloadKey is null;
        // A host without a store sends the payload inline when the input holds it.
        _payloadKey = _store is null && _payloadHeld ? null : _input.PayloadKey;
        _trigger = _input.Trigger ?? TriggerInfo.Manual;
        _runId = _input.Chunk?.RunId ?? _input.Loop?.RunId ?? _context.InstanceId;
        _startedAt = _input.Chunk?.StartedAt ?? _input.Loop?.StartedAt ?? Now;
        BeginTrace();
        // Clients read the fingerprint from the run's input; the custom status carries it only for inputs without one.
        _progress.Fingerprint = _input.Fingerprint is null ? definition.Fingerprint : null;
        _context.SetCustomStatus(_progress);

        if (_input.Fingerprint is { } fingerprint && fingerprint != definition.Fingerprint)
        {
            var mismatch = new WorkflowVersionMismatchException(definition.Id, fingerprint, definition.Fingerprint);

            // Stopping here leaves recorded events unreplayed, so Durable Task fails the episode as non-deterministic;
            // the custom status still carries the decided result, which clients report.
            _progress.Fingerprint = fingerprint;
            _progress.Result = Failed(RunErrors.VersionMismatch(mismatch));
            return _progress.Result;
        }

        if (_input.Chunk is { } chunk)
        {
            var chunkResult = await RunChunkAsync(chunk);
            Decided(chunkResult);
            return chunkResult;
        }

        if (_input.Loop is { } loop)
        {
            var loopResult = await RunLoopAsync(loop);
            if (loopResult.Status != RunStatus.Running)
            {
                Decided(loopResult);
            }

            return loopResult;
        }

        var scope = new Scope(_stored, _payload, [], record: true);
        var startIndex = 0;
        if (_input.Resume is { } resume)
        {
            RestoreFrom(resume, scope);
            startIndex = resume.NodeIndex;
        }

        RunResult result;
        var trusted = true;
        try
        {
            if (definition.Concurrency is not null && !_holdsSlot)
            {
                await AcquireSlotAsync(definition);
            }

            var output = _input.Parent is null
                ? await RunRootAsync(definition, scope, startIndex, CancellationToken.None)
                : await UntilAbandonedAsync(token => RunRootAsync(definition, scope, startIndex, token));
            await Task.WhenAll(_actions);
            result = Completed(output, withSteps: false);
            await RunHookAsync(WorkflowDefinition.OnSuccessPath, "onSuccess", definition.HasOnSuccess, scope, null);
        }
        catch (NodeFailure failure)
        {
            await Task.WhenAll(_actions);
            result = Failed(failure.Error, withSteps: false);
            await RunHookAsync(WorkflowDefinition.OnFailurePath, "onFailure", definition.HasOnFailure, scope, failure.Error);
        }
        catch (RunCancelledSignal cancelled)
        {
            await Task.WhenAll(_actions);
            result = Cancelled(cancelled.Error, withSteps: false);
        }
        catch (ReplayMismatchSignal mismatch)
        {
            // No hooks, no waiting for actions: the history cannot be trusted. Durable Task may fail the episode
            // for the events left unreplayed; the custom status carries the decided result either way.
            result = Failed(mismatch.Error, withSteps: false);
            trusted = false;
        }
        catch (ContinueAsNewSignal next)
        {
            _continuing = true;
            await Task.WhenAll(_actions);
            _context.ContinueAsNew(next.Input, preserveUnprocessedEvents: true);
            return new RunResult { Status = RunStatus.Running };
        }
        catch (Exception ex) when (IsUnexpected(ex))
        {
            // A fault of the engine, not of the workflow: the run fails as data, with its hooks, rather than the
            // orchestration failing at the Durable Task level. Deterministic: replay throws the same exception.
            var error = RunErrors.Unexpected(definition.Id, _runId, ex);
            await WhenActionsEndAsync();
            _records.FinishOpen(error);
            result = Failed(error, withSteps: false);
            await RunHookAsync(WorkflowDefinition.OnFailurePath, "onFailure", definition.HasOnFailure, scope, error);
        }
        finally
        {
            ReleaseSlot(definition);
        }

        // Every record of a finished run is final: work the run's end left behind (a step a workflow timeout
        // interrupted, say) shows as skipped.
        _records.FinishOpen(null);

        // The records, taken now: hooks may have added some after the result was built.
        result.Steps = _records.WithOutputs();
        _store?.InstanceEnded(_runId, _context.InstanceId);
        if (trusted && !_leftOpen)
        {
            // The output carries the result and every record; the final custom status need not repeat them.
            _context.SetCustomStatus(_progress.Fingerprint is null ? null : new RunProgress { Fingerprint = _progress.Fingerprint });
        }
        else
        {
            // The custom status carries the decided result where the output may come late or never: a task left open
            // (a race's loser) can keep the orchestration running, and on a replay mismatch Durable Task may fail the
            // episode for the events left unreplayed. Clients report it at once.
            _progress.Result = result;
        }

        if (trusted)
        {
            EndTrace(result);
            Decided(result);
        }

        return result;
    }

    /// <summary>The context of the conditions and selectors evaluated in <paramref name="scope"/>.</summary>
    private FlowContext Flow(Scope scope) => scope.FlowContext(_payloadHeld ? _payload : null, ReadPayload, Run);

    /// <summary>
    /// The payload this orchestration holds only by reference: its fetched value, or (before the fetch) a signal that
    /// makes the interpreter fetch it and evaluate the condition again, as for an output held by reference.
    /// </summary>
    private FlowValue ReadPayload() => _stored.Resolve(_payloadKey!);

    /// <summary>Exceptions that are not the engine's to turn into a failed run: the host aborting the episode.</summary>
    private static bool IsUnexpected(Exception exception) =>
        exception.GetType().FullName != "DurableTask.Core.Exceptions.SessionAbortedException";

    /// <summary>Awaits the run's actions, whatever they end with (used once the run has already failed).</summary>
    private async Task WhenActionsEndAsync()
    {
        try
        {
            await Task.WhenAll(_actions);
        }
        catch (Exception)
        {
            // The run's outcome is already decided.
        }
    }

    /// <summary>
    /// Notes when the outcome was decided if work it left open may end the instance later, and tells a parent waiting
    /// for this subflow or chunk (see <see cref="CallChildAsync"/>), so that it goes on without waiting for that work.
    /// </summary>
    private void Decided(RunResult result)
    {
        if (!_leftOpen)
        {
            return;
        }

        result.CompletedAt = Now;
        _progress.Result = result;
        if (_input.Parent is { } parent)
        {
            _context.SendEvent(parent, ChildEvents.Decided(_context.InstanceId), result);
        }
    }

    private Task<FlowValue> RunRootAsync(WorkflowDefinition definition, Scope scope, int startIndex, CancellationToken cancel)
    {
        var deadline = _input.Resume?.Deadline ?? (definition.Timeout is { } timeout ? _startedAt + timeout : null);
        _deadline = deadline;

        // Without a deadline, no frame of its own: one continuation fewer in every episode.
        return deadline is null
            ? ExecuteListAsync(definition.Nodes, scope, cancel, startIndex)
            : RunRootAsync(definition, scope, startIndex, deadline.Value, cancel);
    }

    private async Task<FlowValue> RunRootAsync(WorkflowDefinition definition, Scope scope, int startIndex, DateTimeOffset deadline, CancellationToken cancel)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var timerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var task = ExecuteListAsync(definition.Nodes, scope, work.Token, startIndex);
        var timer = TimerAsync(deadline.UtcDateTime, timerCancel.Token);
        var winner = await Task.WhenAny(task, timer);
        if (winner == task)
        {
            timerCancel.Cancel();
            return await task;
        }

        work.Cancel();
        Abandon(task);
        throw new NodeFailure(RunErrors.WorkflowTimeout(definition.Id, definition.Timeout));
    }

    private async Task RunHookAsync(string path, string name, bool present, Scope scope, StepError? error)
    {
        if (!present)
        {
            return;
        }

        var record = _records.Start(name, "hook", path);
        try
        {
            await CallStepAsync(path, name, scope, 1, error, null, CancellationToken.None);
            _records.Update(record, r => r with { Status = StepStatus.Completed, CompletedAt = Now, Attempts = 1 });
        }
        catch (NodeFailure failure)
        {
            // A failing hook is recorded; it does not change the run's outcome.
            _records.Update(record, r => r with { Status = StepStatus.Failed, CompletedAt = Now, Attempts = 1, Error = failure.Error });
        }
    }

    private void RestoreFrom(ResumeState resume, Scope scope)
    {
        _runId = resume.RunId;
        _startedAt = resume.StartedAt;
        _holdsSlot = resume.HoldsSlot;
        _generation = resume.Generation;
        scope.Last = FlowValue.FromOwned(resume.Last);
        if (resume.LastKey is { } lastKey)
        {
            _stored.Add(scope.Last, lastKey);
        }

        foreach (var (name, json) in resume.Steps)
        {
            // Outputs that were in the output store stay there: later steps still receive their references.
            var value = FlowValue.FromOwned(json);
            if (resume.StepKeys?.GetValueOrDefault(name) is { } key)
            {
                _stored.Add(value, key);
            }

            scope.Set(name, value);
        }

        _records.Restore(resume.Records);
        _resumeLoop = resume;
    }

    private Task<FlowValue> RunNodeAsync(Node node, Scope scope, int attempt, BlockState? block, CancellationToken cancel) => node switch
    {
        StepNode step => CallStepAsync(step.Path, step.Name, scope, attempt, null, step.Policy.Timeout, cancel),
        ParallelNode parallel => RunParallelAsync(parallel, scope, attempt, block, cancel),
        RaceNode race => RunRaceAsync(race, scope, attempt, block, cancel),
        IfNode ifNode => RunIfAsync(ifNode, scope, cancel),
        ForEachNode forEach => RunForEachAsync(forEach, scope, block, cancel),
        SleepNode sleep => RunSleepAsync(sleep, scope, cancel),
        WaitForEventNode wait => RunWaitForEventAsync(wait, scope, cancel),
        HumanNode human => RunHumanAsync(human, scope, cancel),
        SubflowNode subflow => RunSubflowAsync(subflow, scope, attempt, cancel),
        WhileNode loop => RunWhileAsync(loop, scope, attempt, block ?? new BlockState(), cancel),
        CancelNode cancelNode => throw new RunCancelledSignal(RunErrors.RunCancelled(cancelNode.Name, cancelNode.Reason)),
        _ => throw new InvalidOperationException($"Unknown node kind {node.Kind} at {node.Path}."),
    };

    /// <summary>Waits until every task has ended, whatever its outcome (their results were already given up).</summary>
    private static async Task SettleAsync(List<Task> tasks)
    {
        foreach (var task in tasks)
        {
            try
            {
                await task;
            }
            catch (Exception)
            {
                // Abandoned work: its outcome changes nothing.
            }
        }

        tasks.Clear();
    }

    private static void ThrowIfAbandoned(CancellationToken cancel)
    {
        if (cancel.IsCancellationRequested)
        {
            throw new NodeFailure(RunErrors.BlockAbandoned());
        }
    }

    /// <summary>
    /// Leaves a task whose result is no longer needed: notes that the run may end with it still open (a backend can keep
    /// the orchestration running until it finishes), and observes it so that its failure is not reported as unobserved.
    /// </summary>
    private void Abandon(Task task)
    {
        MarkAbandonedCalls();
        var open = !task.IsCompleted;
        if (open)
        {
            _leftOpen = true;
            _openAbandoned++;
        }

        // Nothing waits for the observer: it ends with the task, or never if the run ends first.
        _ = ObserveAbandonedAsync(task, open);
    }

    /// <summary>Awaits an abandoned task, so that its failure is observed, and counts it closed once it ends.</summary>
    private async Task ObserveAbandonedAsync(Task task, bool open)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The block was decided without this task; its failure changes nothing.
        }
        finally
        {
            if (open)
            {
                _openAbandoned--;
            }
        }
    }

    private static string Describe(Node node) => node switch
    {
        StepNode { IsAction: true } => $"action '{node.Name}'",
        StepNode => $"step '{node.Name}'",
        _ => $"{node.Kind} '{node.Name}'",
    };
}
