using System.Runtime.InteropServices;
using System.Text.Json;
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
    private readonly List<FlowValue?> _recordOutputs = [];
    private readonly List<Task> _actions = [];
    private readonly StepOutputCache? _cache;
    private readonly int _inlineOutputBytes;
    private WorkflowDefinition _definition = null!;
    private FlowValue _payload = FlowValue.Null;
    private TriggerInfo _trigger = TriggerInfo.Manual;
    private string _runId = "";
    private DateTimeOffset _startedAt;
    private DateTimeOffset? _deadline;
    private ResumeState? _resumeLoop;
    private int? _resumeRecord;
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
    private readonly Dictionary<int, CancellationToken> _openCalls = [];

    public Interpreter(TaskOrchestrationContext context, WorkflowRegistry registry, RunInput input, StepOutputCache? cache = null, int inlineOutputBytes = CronflowOptions.DefaultInlineOutputBytes)
    {
        _context = context;
        _registry = registry;
        _input = input ?? new RunInput();
        _cache = cache;
        _inlineOutputBytes = inlineOutputBytes;
    }


    private DateTimeOffset Now => new(_context.CurrentUtcDateTime, TimeSpan.Zero);

    public async Task<RunResult> RunAsync()
    {
        if (!_registry.TryGet(_input.WorkflowId, out var definition))
        {
            return Failed(RunErrors.WorkflowNotFound(_input.WorkflowId));
        }

        _definition = definition;
        _payload = FlowValue.FromOwned(_input.Payload);
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

        var scope = new Scope(this, _payload, null, [], "", record: true);
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
            result = Completed(output);
            await RunHookAsync(WorkflowDefinition.OnSuccessPath, "onSuccess", definition.HasOnSuccess, scope, null);
        }
        catch (NodeFailure failure)
        {
            await Task.WhenAll(_actions);
            result = Failed(failure.Error);
            await RunHookAsync(WorkflowDefinition.OnFailurePath, "onFailure", definition.HasOnFailure, scope, failure.Error);
        }
        catch (RunCancelledSignal cancelled)
        {
            await Task.WhenAll(_actions);
            result = Cancelled(cancelled.Error);
        }
        catch (ReplayMismatchSignal mismatch)
        {
            // No hooks, no waiting for actions: the history cannot be trusted. Durable Task may fail the episode
            // for the events left unreplayed; the custom status carries the decided result either way.
            result = Failed(mismatch.Error);
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
            FinishOpenRecords(error);
            result = Failed(error);
            await RunHookAsync(WorkflowDefinition.OnFailurePath, "onFailure", definition.HasOnFailure, scope, error);
        }
        finally
        {
            ReleaseSlot(definition);
        }

        // Every record of a finished run is final: work the run's end left behind (a step a workflow timeout
        // interrupted, say) shows as skipped.
        FinishOpenRecords(null);

        // Refresh the records: hooks may have added some after the result was built.
        result.Steps = RecordsWithOutputs();
        _cache?.Remove(_context.InstanceId);
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

    /// <summary>Ends records still running or waiting: failed with <paramref name="error"/>, or skipped without one.</summary>
    private void FinishOpenRecords(StepError? error)
    {
        for (var i = 0; i < _progress.Steps.Count; i++)
        {
            if (_progress.Steps[i].Status is StepStatus.Running or StepStatus.Waiting or StepStatus.Pending)
            {
                _progress.Steps[i] = error is null
                    ? _progress.Steps[i] with { Status = StepStatus.Skipped, CompletedAt = Now }
                    : _progress.Steps[i] with { Status = StepStatus.Failed, CompletedAt = Now, Error = error };
            }
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

    /// <summary>Waits for a slot from the workflow's concurrency gate; the run shows as Pending meanwhile.</summary>
    private async Task AcquireSlotAsync(WorkflowDefinition definition)
    {
        _progress.Queued = true;
        _progress.WaitingFor = $"a run slot (workflow '{definition.Id}' runs at most {definition.Concurrency} at once)";
        var gate = ConcurrencyGate.InstanceId(definition.Id);
        var request = new GateMessage { Op = GateMessage.Acquire, RunId = _context.InstanceId };
        using var slotWait = new CancellationTokenSource();
        var slot = _context.WaitForExternalEvent<JsonElement?>(ConcurrencyGate.SlotEvent, slotWait.Token);

        // A request sent before the gate existed (a host that has not started it yet) is lost, so an unanswered request
        // is repeated, at growing intervals. Once the gate answers that it has queued the run, the run only waits,
        // repeating its request once a day in case the gate was reset: a week in the queue costs a few dozen history
        // events, not thousands. The gate ignores requests it already holds.
        var giveUpAt = _context.CurrentUtcDateTime + ConcurrencyGate.MaxWait;
        var interval = ConcurrencyGate.RequestInterval;
        while (!slot.IsCompleted && _context.CurrentUtcDateTime < giveUpAt)
        {
            _context.SendEvent(gate, ConcurrencyGate.GateEvent, request);
            _requestedSlot = true;
            using var queuedWait = new CancellationTokenSource();
            using var retry = new CancellationTokenSource();
            var queued = _context.WaitForExternalEvent<JsonElement?>(ConcurrencyGate.QueuedEvent, queuedWait.Token);
            var timer = _context.CreateTimer(Earliest(_context.CurrentUtcDateTime + interval, giveUpAt), retry.Token);
            var winner = await Task.WhenAny(slot, queued, timer);
            if (winner == timer)
            {
                queuedWait.Cancel();
                interval = interval * 2 < ConcurrencyGate.MaxRequestInterval ? interval * 2 : ConcurrencyGate.MaxRequestInterval;
                continue;
            }

            retry.Cancel();
            if (winner == slot)
            {
                queuedWait.Cancel();
                break;
            }

            using var queuedRetry = new CancellationTokenSource();
            var recheck = _context.CreateTimer(Earliest(_context.CurrentUtcDateTime + ConcurrencyGate.QueuedRequestInterval, giveUpAt), queuedRetry.Token);
            if (await Task.WhenAny(slot, recheck) == slot)
            {
                queuedRetry.Cancel();
            }

            interval = ConcurrencyGate.RequestInterval;
        }

        if (!slot.IsCompleted)
        {
            slotWait.Cancel();
            throw new NodeFailure(RunErrors.NoRunSlot(_runId, definition.Id, ConcurrencyGate.MaxWait));
        }

        _progress.Queued = false;
        _progress.WaitingFor = null;
        _holdsSlot = true;
    }

    private static DateTime Earliest(DateTime a, DateTime b) => a < b ? a : b;

    /// <summary>Gives the slot back (or leaves the queue), unless the run only continues as new (it keeps its slot).</summary>
    private void ReleaseSlot(WorkflowDefinition definition)
    {
        if ((_holdsSlot || _requestedSlot) && !_continuing)
        {
            _context.SendEvent(ConcurrencyGate.InstanceId(definition.Id), ConcurrencyGate.GateEvent, new GateMessage { Op = GateMessage.Release, RunId = _context.InstanceId });
        }
    }

    private async Task<FlowValue> RunRootAsync(WorkflowDefinition definition, Scope scope, int startIndex, CancellationToken cancel)
    {
        var deadline = _input.Resume?.Deadline ?? (definition.Timeout is { } timeout ? _startedAt + timeout : null);
        _deadline = deadline;
        if (deadline is null)
        {
            return await ExecuteListAsync(definition.Nodes, scope, cancel, startIndex);
        }

        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var timerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var task = ExecuteListAsync(definition.Nodes, scope, work.Token, startIndex);
        var timer = TimerAsync(deadline.Value.UtcDateTime, timerCancel.Token);
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

        var record = StartRecord(name, "hook", path);
        try
        {
            await CallStepAsync(path, name, scope, 1, error, null, CancellationToken.None);
            UpdateRecord(record, r => r with { Status = StepStatus.Completed, CompletedAt = Now, Attempts = 1 });
        }
        catch (NodeFailure failure)
        {
            // A failing hook is recorded; it does not change the run's outcome.
            UpdateRecord(record, r => r with { Status = StepStatus.Failed, CompletedAt = Now, Attempts = 1, Error = failure.Error });
        }
    }

    private void RestoreFrom(ResumeState resume, Scope scope)
    {
        _runId = resume.RunId;
        _startedAt = resume.StartedAt;
        _holdsSlot = resume.HoldsSlot;
        _generation = resume.Generation;
        scope.Last = FlowValue.FromOwned(resume.Last);
        foreach (var (name, value) in resume.Steps)
        {
            scope.Set(name, FlowValue.FromOwned(value));
        }

        foreach (var record in resume.Records)
        {
            _progress.Steps.Add(record with { Output = null });
            _recordOutputs.Add(record.Output);
        }

        _resumeLoop = resume;
        _resumeRecord = _progress.Steps.FindLastIndex(r => r.Status == StepStatus.Running);
    }

    // ---- sequencing -------------------------------------------------------------------------

    private async Task<FlowValue> ExecuteListAsync(IReadOnlyList<Node> nodes, Scope scope, CancellationToken cancel, int startIndex = 0)
    {
        for (var index = startIndex; index < nodes.Count; index++)
        {
            var node = nodes[index];
            ThrowIfAbandoned(cancel);
            if (node is StepNode { IsAction: true } action)
            {
                _actions.Add(RunActionAsync(action, scope.Snapshot(), cancel));
                continue;
            }

            FlowValue output;
            if (node is StepNode { Policy.IsPlain: true } step)
            {
                // A plain step awaits its activity call here: one async frame fewer per step in every replay.
                var record = BeginRecord(node, scope);
                try
                {
                    output = await CallStepAsync(step.Path, step.Name, scope, 1, null, null, cancel);
                }
                catch (NodeFailure failure)
                {
                    EndRecordFailed(record, failure.Error, cancel);
                    throw;
                }

                CompleteRecord(record, output);
            }
            else
            {
                output = await ExecuteNodeAsync(node, scope, cancel);
            }

            ThrowIfAbandoned(cancel);
            if (node.ProducesOutput)
            {
                scope.Last = output;
                if (node is not IfNode)
                {
                    scope.Set(node.Name, output);
                }
            }
        }

        return scope.Last;
    }

    private async Task RunActionAsync(StepNode action, Scope scope, CancellationToken cancel)
    {
        try
        {
            await ExecuteNodeAsync(action, scope, cancel);
        }
        catch (NodeFailure)
        {
            // Recorded by ExecuteNodeAsync; a failing action does not fail the run.
        }
    }

    /// <summary>Runs one node with its retry policy, timeout and error handler, keeping its step record.</summary>
    private async Task<FlowValue> ExecuteNodeAsync(Node node, Scope scope, CancellationToken cancel)
    {
        var record = BeginRecord(node, scope);
        var attempts = Math.Max(1, node.Policy.Retry?.Attempts ?? 1);
        var block = new BlockState();
        var first = 1;
        if (node is WhileNode && _resumeLoop is { } resume)
        {
            // A loop that continued as new goes on with its attempt, its deadline and where a retry starts over.
            _resumeLoop = null;
            first = Math.Max(1, resume.LoopAttempt);
            block.LoopStart = FlowValue.FromOwned(resume.LoopStart);
            block.ResumeIteration = resume.Iteration;
            block.ResumeDeadline = resume.LoopDeadline;
        }

        for (var attempt = first; ; attempt++)
        {
            if (record >= 0 && _progress.Steps[record].Attempts != attempt)
            {
                _progress.Steps[record] = _progress.Steps[record] with { Attempts = attempt };
            }

            StepError error;
            try
            {
                var output = await RunTracedAsync(node, scope, attempt, block, cancel);
                CompleteRecord(record, output);
                return output;
            }
            catch (NodeFailure failure) when (cancel.IsCancellationRequested)
            {
                EndRecordFailed(record, failure.Error, cancel);
                throw;
            }
            catch (NodeFailure failure)
            {
                error = failure.Error;
            }
            catch (RunCancelledSignal)
            {
                // A Cancel step did what it is for; a block it ended is left unfinished.
                UpdateRecord(record, r => r with { Status = node is CancelNode ? StepStatus.Completed : StepStatus.Skipped, CompletedAt = Now });
                throw;
            }

            if (attempt < attempts && ShouldRetry(node.Policy.Retry!, error))
            {
                var delay = node.Policy.Retry!.Backoff?.DelayBefore(attempt) ?? TimeSpan.Zero;
                if (delay > TimeSpan.Zero)
                {
                    await TimerAsync(_context.CurrentUtcDateTime + delay, cancel);
                }

                if (node is StepNode or WhileNode)
                {
                    // A step or a loop runs one body at a time: the next attempt waits for the body an earlier attempt
                    // left running (one that outlived its timeout) to end. Blocks count such work in their window.
                    await SettleAsync(block.Leftovers);
                    ThrowIfAbandoned(cancel);
                }

                continue;
            }

            if (node.Policy.OnError is not null)
            {
                FlowValue handled;
                try
                {
                    handled = await CallStepAsync(node.Path + WorkflowDefinition.OnErrorSuffix, node.Name, scope, 1, error, null, cancel);
                }
                catch (NodeFailure handlerFailure)
                {
                    // The handler failed too: the node fails with the handler's error.
                    EndRecordFailed(record, handlerFailure.Error, cancel);
                    throw;
                }

                UpdateRecord(record, r => r with { Status = StepStatus.Completed, CompletedAt = Now, Error = error }, handled);
                return handled;
            }

            EndRecordFailed(record, error, cancel);
            throw new NodeFailure(error);
        }
    }

    /// <summary>The node's step record (a new one, or the one a continued run left running); -1 inside for-each items.</summary>
    private int BeginRecord(Node node, Scope scope) => !scope.Record ? -1 : TakeResumeRecord(node) ?? StartRecord(node.Name, node.Kind, node.Path);

    /// <summary>Marks a record whose node failed: skipped when its block was already decided, failed otherwise.</summary>
    private void EndRecordFailed(int record, StepError error, CancellationToken cancel)
    {
        if (cancel.IsCancellationRequested)
        {
            UpdateRecord(record, r => r with { Status = StepStatus.Skipped, CompletedAt = Now });
        }
        else
        {
            UpdateRecord(record, r => r with { Status = StepStatus.Failed, CompletedAt = Now, Error = error });
        }
    }

    private static bool ShouldRetry(RetryOptions retry, StepError error)
    {
        if (retry.RetryOn.Count == 0)
        {
            return true;
        }

        var details = new TaskFailureDetails(error.ErrorType, error.Message, null, null, null);
        return retry.RetryOn.Any(details.IsCausedBy);
    }

    private Task<FlowValue> RunWithTimeoutAsync(Node node, Scope scope, int attempt, BlockState block, CancellationToken cancel) =>
        node.Policy.Timeout is { } timeout
            ? RunWithTimeoutAsync(node, scope, attempt, timeout, block, cancel)
            : RunNodeAsync(node, scope, attempt, block, cancel);

    private async Task<FlowValue> RunWithTimeoutAsync(Node node, Scope scope, int attempt, TimeSpan timeout, BlockState block, CancellationToken cancel)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var timerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);

        // A loop's timeout covers the whole loop: a loop that continued as new keeps the deadline it started with.
        var fireAt = block.ResumeDeadline?.UtcDateTime ?? _context.CurrentUtcDateTime + timeout;
        block.ResumeDeadline = null;
        block.InFlight = null;
        block.Deadline = new DateTimeOffset(fireAt, TimeSpan.Zero);
        var task = RunNodeAsync(node, scope, attempt, block, work.Token);
        var timer = TimerAsync(fireAt, timerCancel.Token);
        var winner = await Task.WhenAny(task, timer);
        if (winner == task)
        {
            timerCancel.Cancel();
            return await task;
        }

        var branches = block.Snapshot?.Invoke();
        block.Leftovers.AddRange(block.InFlight?.Invoke() ?? [task]);
        work.Cancel();
        Abandon(task);
        throw new NodeFailure(RunErrors.NodeTimeout(node.Name, Describe(node), timeout, branches));
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

    // ---- steps ------------------------------------------------------------------------------

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
        var spanParent = CurrentSpan;

        StepOutcome outcome;
        try
        {
            outcome = await _context.CallActivityAsync<StepOutcome>(StepActivity.Name, request);
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
            Deadline = timeout is { } limit ? Now + limit : null,
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

    // ---- parallel and race ------------------------------------------------------------------

    private async Task<FlowValue> RunParallelAsync(ParallelNode node, Scope scope, int attempt, BlockState? block, CancellationToken cancel)
    {
        var count = node.Branches.Count;
        var window = new SlidingWindow(this, count, node.MaxConcurrency ?? count, cancel, node.MaxConcurrency is null ? null : block);
        if (block is not null)
        {
            block.Snapshot = () => Outcomes(node, window, null, null);
            block.InFlight = window.Running;
        }

        var results = await window.RunAsync(
            (index, token) => CallStepAsync($"{node.Path}/{index}", BranchName(node, index), scope, attempt, null, null, token),
            (index, failure) => new NodeFailure(RunErrors.ParallelBranchFailed(BranchName(node, index), index, node.Name, failure.Error, Outcomes(node, window, index, failure.Error))));
        return FlowValues.Array(results);
    }

    private async Task<FlowValue> RunRaceAsync(RaceNode node, Scope scope, int attempt, BlockState? blockState, CancellationToken cancel)
    {
        var count = node.Branches.Count;
        var errors = new StepError?[count];
        var states = new BranchState[count];
        var results = new FlowValue[count];
        var inFlight = new Dictionary<Task<FlowValue>, int>();
        using var block = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        for (var i = 0; i < count; i++)
        {
            states[i] = BranchState.Running;
            inFlight[CallStepAsync($"{node.Path}/{i}", BranchName(node, i), scope, attempt, null, null, block.Token)] = i;
        }

        if (blockState is not null)
        {
            blockState.Snapshot = () => Enumerable.Range(0, count)
                .Select(i => new BranchOutcome { Index = i, Name = BranchName(node, i), Status = states[i] == BranchState.Failed ? StepStatus.Failed : StepStatus.Running, Error = errors[i] })
                .ToList();
        }

        while (inFlight.Count > 0)
        {
            var done = await Task.WhenAny(inFlight.Keys);
            var index = inFlight[done];
            inFlight.Remove(done);
            if (done.Exception?.InnerException is NodeFailure failure)
            {
                states[index] = BranchState.Failed;
                errors[index] = failure.Error;
                continue;
            }

            // The first success decides the race. Losing activities cannot be stopped; their results are ignored.
            block.Cancel();
            foreach (var loser in inFlight.Keys)
            {
                Abandon(loser);
            }

            return await done;
        }

        var outcomes = Enumerable.Range(0, count)
            .Select(i => new BranchOutcome { Index = i, Name = BranchName(node, i), Status = StepStatus.Failed, Error = errors[i] })
            .ToList();
        throw new NodeFailure(RunErrors.RaceFailed(node.Name, outcomes));
    }

    private static string BranchName(Node node, int index) => $"{node.Name}[{index}]";

    /// <summary>Each branch's outcome as of now; results that arrived in the same batch of events count as completed.</summary>
    private static List<BranchOutcome> Outcomes(Node node, SlidingWindow window, int? failedIndex, StepError? failedError)
    {
        window.CollectArrived();
        return Enumerable.Range(0, window.States.Length).Select(i => new BranchOutcome
        {
            Index = i,
            Name = BranchName(node, i),
            Status = i == failedIndex ? StepStatus.Failed : window.States[i] switch
            {
                BranchState.Completed => StepStatus.Completed,
                BranchState.Failed => StepStatus.Failed,
                BranchState.Running => StepStatus.Running,
                _ => StepStatus.Pending,
            },
            Output = window.States[i] == BranchState.Completed ? window.Results[i] : null,
            Error = i == failedIndex ? failedError : null,
        }).ToList();
    }

    // ---- conditions -------------------------------------------------------------------------

    private async Task<FlowValue> RunIfAsync(IfNode node, Scope scope, CancellationToken cancel)
    {
        var flow = scope.FlowContext(_payload, Run);
        foreach (var branch in node.Branches)
        {
            if (Evaluate(node, branch.Name, () => branch.Condition(flow)))
            {
                SetDetail(scope, node, $"branch {branch.Name}");
                return await ExecuteListAsync(branch.Nodes, scope, cancel);
            }
        }

        if (node.Else is { } otherwise)
        {
            SetDetail(scope, node, "branch else");
            return await ExecuteListAsync(otherwise, scope, cancel);
        }

        SetDetail(scope, node, "no branch matched");
        return scope.Last;
    }

    private static T Evaluate<T>(Node node, string what, Func<T> evaluate)
    {
        try
        {
            return evaluate();
        }
        catch (Exception ex) when (ex is not NodeFailure)
        {
            throw new NodeFailure(RunErrors.ConditionFailed(node.Name, what, Describe(node), ex));
        }
    }

    // ---- durable waits -----------------------------------------------------------------------

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
        MarkWaiting(scope, node, $"event {node.EventName}");
        var payload = await WaitForEventAsync(node.EventName, node.WaitTimeout, cancel);
        ClearWaiting(scope, node);
        if (payload is null)
        {
            throw new NodeFailure(RunErrors.EventTimeout(node.Name, node.EventName, node.WaitTimeout));
        }

        return payload;
    }

    /// <summary>Waits for an external event; null when the timeout passes first. The losing timer or wait is always cancelled.</summary>
    private async Task<FlowValue?> WaitForEventAsync(string eventName, TimeSpan? timeout, CancellationToken cancel)
    {
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var wait = _context.WaitForExternalEvent<JsonElement?>(eventName, waitCancel.Token);
        if (timeout is { } limit)
        {
            using var timerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var timer = TimerAsync(_context.CurrentUtcDateTime + limit, timerCancel.Token);
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
                await _context.CreateTimer(_context.CurrentUtcDateTime, cancel);
                await CallStepAsync(node.Path + WorkflowDefinition.OnPauseSuffix, node.Name, scope, 1, null, null, cancel, token);
            }

            var decision = await WaitForEventAsync(ResumeTokens.EventName(secret), node.WaitTimeout, cancel);
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
        StepOutcome outcome;
        try
        {
            outcome = await _context.CallActivityAsync<StepOutcome>(StepActivity.Name, request);
        }
        catch (TaskFailedException ex)
        {
            throw new NodeFailure(RunErrors.FromTaskFailure(node.Name, ex.FailureDetails));
        }

        if (outcome?.Output is not { ValueKind: JsonValueKind.String } secret || !string.Equals(outcome.Path, path, StringComparison.Ordinal))
        {
            throw new ReplayMismatchSignal(RunErrors.ReplayMismatch(node.Name, _runId, _definition.Id, outcome?.Path, path));
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
            UpdateRecordByPath(node.Path, r => r with { Status = StepStatus.Waiting, Detail = what });
        }
    }

    private void ClearWaiting(Scope scope, Node node)
    {
        _progress.WaitingFor = null;
        if (scope.Record)
        {
            UpdateRecordByPath(node.Path, r => r with { Status = StepStatus.Running });
        }
    }

    // ---- composition ------------------------------------------------------------------------

    private async Task<FlowValue> RunSubflowAsync(SubflowNode node, Scope scope, int attempt, CancellationToken cancel)
    {
        if (!_registry.TryGet(node.WorkflowId, out var target))
        {
            throw new NodeFailure(RunErrors.SubflowNotFound(node.Name, node.WorkflowId));
        }

        var payload = node.Input is { } select
            ? Evaluate(node, "input", () => FlowValue.From(select(scope.FlowContext(_payload, Run))))
            : scope.Last;
        var input = new RunInput
        {
            WorkflowId = target.Id,
            Payload = payload.ToNullableJson(),
            Fingerprint = target.Fingerprint,
            Trigger = new TriggerInfo { Kind = TriggerKind.Workflow, Source = _runId },
            Parent = _context.InstanceId,
            Trace = ChildTrace(),
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
            var flow = scope.FlowContext(_payload, Run);
            if (!Evaluate(node, node.Name, () => node.Condition(flow)))
            {
                break;
            }

            iteration++;
            if (iteration > node.MaxIterations)
            {
                throw MaxIterationsExceeded(node);
            }

            var output = await CallStepAsync(node.Path, node.Name, scope, attempt, null, Remaining(block.Deadline), cancel);
            ThrowIfAbandoned(cancel);
            scope.Last = output;
            scope.Set(node.Name, output);
            if (scope.Record)
            {
                UpdateRecordByPath(node.Path, r => r with { Detail = $"{iteration} iterations" });
            }

            // Continuing as new ends this execution, which the backend does only once every task it started has ended:
            // while a decided block's abandoned work is still running, the loop goes on and continues as new later.
            if (iteration - firstIteration >= ContinueAsNewEvery && _openAbandoned == 0)
            {
                throw new ContinueAsNewSignal(new RunInput
                {
                    WorkflowId = _definition.Id,
                    Payload = _payload.ToNullableJson(),
                    Fingerprint = _definition.Fingerprint,
                    Trigger = _input.Trigger,
                    ReplayOf = _input.ReplayOf,
                    Trace = _input.Trace,
                    Resume = new ResumeState
                    {
                        NodeIndex = int.Parse(node.Path, System.Globalization.CultureInfo.InvariantCulture),
                        Iteration = iteration,
                        Last = scope.Last.ToNullableJson(),
                        Steps = scope.Flatten() ?? [],
                        Records = RecordsWithOutputs(),
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
        input.Loop = new LoopInput
        {
            Path = node.Path,
            ItemChain = [.. scope.Items],
            Last = scope.Last.ToNullableJson(),
            Steps = scope.Flatten() ?? [],
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
    /// trigger, the trace continued under the current span, and this instance as the parent it reports to.
    /// </summary>
    private RunInput InternalChildInput() => new()
    {
        WorkflowId = _definition.Id,
        Fingerprint = _definition.Fingerprint,
        Payload = _payload.ToNullableJson(),
        Trigger = _input.Trigger,
        Trace = ChildTrace(),
        Parent = _context.InstanceId,
    };

    /// <summary>A chunk's items: in a window of their own, or in the one window the chunks pass along (<see cref="RunChainedChunkAsync"/>).</summary>
    private Task<FlowValue> RunChunkItemsAsync(ForEachNode node, ChunkInput chunk, Scope scope, CancellationToken cancel) =>
        chunk.Next is null && !chunk.FromPrevious
            ? RunItemsAsync(node, chunk.Items, chunk.Start, chunk.MaxConcurrency, scope, null, cancel)
            : RunChainedChunkAsync(node, chunk, scope, cancel);

    /// <summary>The scope a chunk or a nested loop's sub-orchestration starts from: its parent's <c>Last</c> and step outputs.</summary>
    private Scope ChildScope(JsonElement? last, IReadOnlyList<JsonElement> itemChain, IEnumerable<KeyValuePair<string, JsonElement?>> steps)
    {
        var scope = new Scope(this, FlowValue.FromOwned(last), null, itemChain, "", record: false);
        foreach (var (name, value) in steps)
        {
            scope.Set(name, FlowValue.FromOwned(value));
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

            var scope = ChildScope(loop.Last, loop.ItemChain, loop.Steps);

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

                    var flow = scope.FlowContext(_payload, Run);
                    if (!Evaluate(node, node.Name, () => node.Condition(flow)))
                    {
                        break;
                    }

                    iteration++;
                    if (iteration > node.MaxIterations)
                    {
                        throw MaxIterationsExceeded(node);
                    }

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
                        loop.Last = scope.Last.ToNullableJson();
                        loop.Steps = scope.Flatten() ?? [];
                        _context.ContinueAsNew(new RunInput { WorkflowId = _input.WorkflowId, Fingerprint = _input.Fingerprint, Payload = _input.Payload, Trigger = _input.Trigger, Loop = loop, Parent = _input.Parent, Trace = _input.Trace }, preserveUnprocessedEvents: true);
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

            _cache?.Remove(_context.InstanceId);
            return Completed(FlowValue.From(new LoopOutcome(scope.Last.ToNullableJson(), iteration)));
        }
        catch (NodeFailure failure)
        {
            return Failed(failure.Error);
        }
    }

    private static NodeFailure MaxIterationsExceeded(WhileNode node) =>
        new(RunErrors.MaxIterationsExceeded(node.Name, node.MaxIterations));

    /// <summary>The time a loop iteration's body has before the loop's deadline (its cancellation token's timeout).</summary>
    private TimeSpan? Remaining(DateTimeOffset? deadline) =>
        deadline is { } at ? TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (at - Now).Ticks)) : null;

    /// <summary>A top-level loop continues as new after this many iterations, so that its history stays small.</summary>
    internal const int ContinueAsNewEvery = 100;

    // ---- for-each ---------------------------------------------------------------------------

    private async Task<FlowValue> RunForEachAsync(ForEachNode node, Scope scope, BlockState? block, CancellationToken cancel)
    {
        var flow = scope.FlowContext(_payload, Run);
        var items = Evaluate(node, "items", () => node.SelectItems(flow));
        SetDetail(scope, node, $"{items.Count} items");
        if (items.Count > node.ChunkSize)
        {
            return await RunChunksAsync(node, items, scope, node.MaxConcurrency is null ? null : block, cancel);
        }

        return await RunItemsAsync(node, items, 0, node.MaxConcurrency ?? items.Count, scope, node.MaxConcurrency is null ? null : block, cancel);
    }

    private async Task<FlowValue> RunItemsAsync(ForEachNode node, IReadOnlyList<JsonElement> items, int firstIndex, int maxConcurrency, Scope scope, BlockState? block, CancellationToken cancel)
    {
        var window = new SlidingWindow(this, items.Count, maxConcurrency, cancel, block);
        if (block is not null)
        {
            block.InFlight = window.Running;
        }

        var results = await window.RunAsync(
            (index, token) => RunItemAsync(node, items[index], firstIndex + index, scope, token),
            (index, failure) => new NodeFailure(failure.Error with
            {
                Step = failure.Error.Step ?? node.Name,
                Message = $"Item {firstIndex + index} of for-each '{node.Name}' failed: {failure.Error.Message}",
            }));
        return FlowValues.Array(results);
    }

    private async Task<FlowValue> RunItemAsync(ForEachNode node, JsonElement item, int index, Scope scope, CancellationToken cancel)
    {
        var body = Evaluate(node, $"body for item {index}", () => node.BuildBody(_definition.Id, item));
        var child = scope.Child(FlowValue.FromOwned(item), item, $"{node.Path}#{index}");
        return await ExecuteListAsync(body, child, cancel);
    }

    private async Task<FlowValue> RunChunksAsync(ForEachNode node, IReadOnlyList<JsonElement> items, Scope scope, BlockState? block, CancellationToken cancel)
    {
        if (block is not null)
        {
            // Chunks of an earlier attempt keep starting items until they end: the next attempt waits for them.
            await SettleAsync(block.Leftovers);
            ThrowIfAbandoned(cancel);
        }

        var chunks = items.Chunk(node.ChunkSize).ToList();
        var steps = scope.Flatten() ?? [];
        var prefix = $"{_context.InstanceId}~{node.Path.Replace('/', '.')}~{_context.NewGuid():N}-";

        // With MaxConcurrency, the places of one sliding window are spread over the chunks in order (each gets at most
        // its item count), and every chunk starts at once. A chunk with no items left to start passes each place it frees
        // to the next chunk (see RunChainedChunkAsync) while some later chunk started with fewer places than items.
        var grants = new int[chunks.Count];
        var forwards = new bool[chunks.Count];
        var remaining = node.MaxConcurrency ?? int.MaxValue;
        for (var i = 0; i < chunks.Count; i++)
        {
            grants[i] = Math.Min(chunks[i].Length, remaining);
            remaining -= grants[i];
        }

        for (var i = chunks.Count - 2; i >= 0; i--)
        {
            forwards[i] = forwards[i + 1] || grants[i + 1] < chunks[i + 1].Length;
        }

        async Task<FlowValue> RunChunk(int index, CancellationToken token)
        {
            var input = InternalChildInput();
            input.Chunk = new ChunkInput
            {
                Path = node.Path,
                ItemChain = [.. scope.Items],
                Items = [.. chunks[index]],
                Start = index * node.ChunkSize,
                MaxConcurrency = grants[index],
                Next = forwards[index] ? prefix + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                FromPrevious = index > 0 && forwards[index - 1],
                Last = scope.Last.ToNullableJson(),
                Steps = steps,
                RunId = _runId,
                StartedAt = _startedAt,
            };
            var result = await CallChildAsync(prefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture), input, node.Name, token);

            ThrowIfAbandoned(token);
            return result.Status switch
            {
                RunStatus.Completed => FlowValue.FromOwned(result.Output),
                RunStatus.Cancelled when result.Error is { } reason => throw new RunCancelledSignal(reason),
                _ => throw new NodeFailure(result.Error ?? RunErrors.ChunkFailed(node.Name, index)),
            };
        }

        var chunkWindow = new SlidingWindow(this, chunks.Count, chunks.Count, cancel, block, countLeftovers: false);
        if (block is not null)
        {
            block.InFlight = chunkWindow.Running;
        }

        var results = await chunkWindow.RunAsync(RunChunk, (_, failure) => failure);
        return FlowValues.Concat(results);
    }

    /// <summary>
    /// Runs a child orchestration (a subflow, a for-each chunk) and returns its result: when the child ends, or as soon
    /// as it reports a result it decided while work of its own is still running (a race's loser, a timed-out step), so
    /// that this run never waits for work the child abandoned. When <paramref name="cancel"/> fires first, the child is
    /// told that its result is no longer needed.
    /// </summary>
    private async Task<RunResult> CallChildAsync(string instanceId, RunInput input, string name, CancellationToken cancel)
    {
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var child = _context.CallSubOrchestratorAsync<RunResult>(WorkflowOrchestrator.Name, input, new SubOrchestrationOptions { InstanceId = instanceId });
        var decided = _context.WaitForExternalEvent<RunResult>(ChildEvents.Decided(instanceId), waitCancel.Token);
        if (await Task.WhenAny(child, decided) == child)
        {
            waitCancel.Cancel();
            try
            {
                return await child;
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
        return await decided;
    }

    private async Task<RunResult> RunChunkAsync(ChunkInput chunk)
    {
        try
        {
            if (_definition.FindNode(chunk.Path, chunk.ItemChain) is not ForEachNode node)
            {
                throw new NodeFailure(RunErrors.ChunkNotFound(chunk.Path, _definition.Id));
            }

            var parent = ChildScope(chunk.Last, chunk.ItemChain, chunk.Steps);

            var output = _input.Parent is null
                ? await RunChunkItemsAsync(node, chunk, parent, CancellationToken.None)
                : await UntilAbandonedAsync(token => RunChunkItemsAsync(node, chunk, parent, token));
            _cache?.Remove(_context.InstanceId);
            return Completed(output);
        }
        catch (NodeFailure failure)
        {
            return Failed(failure.Error);
        }
        catch (RunCancelledSignal cancelled)
        {
            return Cancelled(cancelled.Error);
        }
    }

    /// <summary>The event by which chunks of one for-each pass window places (and their end or failure) down the chain.</summary>
    internal const string ChunkSlotEvent = "cronflow-chunk-slot";

    /// <summary>
    /// Runs a chunk's items as part of one sliding window across chunks. The chunk starts with the places it was granted
    /// and receives more from the previous chunk; once all its items have started, each place it frees (or receives) goes
    /// to the next chunk, so the window never drains at a chunk boundary. It ends only after the previous chunk has
    /// ended and every place that chunk sent has arrived, so no place is lost. A failure (or a cancellation) is passed
    /// down the chain: later chunks start nothing more and end with the same error.
    /// </summary>
    private async Task<FlowValue> RunChainedChunkAsync(ForEachNode node, ChunkInput chunk, Scope scope, CancellationToken cancel)
    {
        var items = chunk.Items;
        var results = new FlowValue[items.Count];
        var inFlight = new Dictionary<Task<FlowValue>, int>();
        var places = chunk.MaxConcurrency;
        var next = 0;
        var sent = 0;
        var received = 0;
        int? expected = chunk.FromPrevious ? null : 0;
        ChunkSlotMessage? stop = null;
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task<ChunkSlotMessage>? message = chunk.FromPrevious ? _context.WaitForExternalEvent<ChunkSlotMessage>(ChunkSlotEvent, waitCancel.Token) : null;

        void Send(ChunkSlotMessage content)
        {
            if (chunk.Next is { } nextChunk)
            {
                _context.SendEvent(nextChunk, ChunkSlotEvent, content);
            }
        }

        void UsePlaces()
        {
            while (places > 0 && stop is null && !cancel.IsCancellationRequested)
            {
                places--;
                if (next < items.Count)
                {
                    var index = next++;
                    inFlight[RunItemAsync(node, items[index], chunk.Start + index, scope, cancel)] = index;
                }
                else if (chunk.Next is not null)
                {
                    Send(new ChunkSlotMessage { Places = 1 });
                    sent++;
                }
            }
        }

        void Stop(ChunkSlotMessage reason)
        {
            stop = reason;
            Send(reason);
            foreach (var pending in inFlight.Keys)
            {
                Abandon(pending);
            }

            inFlight.Clear();
        }

        UsePlaces();
        while (stop is null && (inFlight.Count > 0 || next < items.Count || received != expected))
        {
            var done = await Task.WhenAny(message is null ? inFlight.Keys : [.. inFlight.Keys, message]);
            if (done == message)
            {
                var content = await message;
                if (content.Error is not null)
                {
                    Stop(content);
                    break;
                }

                if (content.Sent is { } total)
                {
                    expected = total;
                }
                else
                {
                    received++;
                    places += content.Places;
                }

                message = received == expected ? null : _context.WaitForExternalEvent<ChunkSlotMessage>(ChunkSlotEvent, waitCancel.Token);
                UsePlaces();
                continue;
            }

            var task = (Task<FlowValue>)done;
            var finished = inFlight[task];
            inFlight.Remove(task);
            try
            {
                results[finished] = await task;
            }
            catch (NodeFailure failure)
            {
                Stop(new ChunkSlotMessage
                {
                    Error = failure.Error with
                    {
                        Step = failure.Error.Step ?? node.Name,
                        Message = $"Item {chunk.Start + finished} of for-each '{node.Name}' failed: {failure.Error.Message}",
                    },
                });
                break;
            }
            catch (RunCancelledSignal cancelled)
            {
                Stop(new ChunkSlotMessage { Error = cancelled.Error, Cancelled = true });
                break;
            }

            places++;
            UsePlaces();
        }

        if (message is not null)
        {
            waitCancel.Cancel();
        }

        if (stop is { Error: { } error })
        {
            throw stop.Cancelled ? new RunCancelledSignal(error) : new NodeFailure(error);
        }

        Send(new ChunkSlotMessage { Sent = sent });
        return FlowValues.Array(results);
    }

    // ---- records ----------------------------------------------------------------------------

    private RunDetails Run => new(_runId, _definition.Id, _startedAt);

    private int StartRecord(string name, string kind, string path)
    {
        _progress.Steps.Add(new StepRecord { Name = name, Kind = kind, Path = path, Status = StepStatus.Running, StartedAt = Now, Attempts = 1 });
        _recordOutputs.Add(null);
        return _progress.Steps.Count - 1;
    }

    private int? TakeResumeRecord(Node node)
    {
        if (_resumeRecord is { } index && index >= 0 && _progress.Steps[index].Path == node.Path)
        {
            _resumeRecord = null;
            return index;
        }

        return null;
    }

    /// <summary>Marks a record completed with its output (the hot path: no delegate, one copy).</summary>
    private void CompleteRecord(int index, FlowValue output)
    {
        if (index < 0)
        {
            return;
        }

        _progress.Steps[index] = _progress.Steps[index] with { Status = StepStatus.Completed, CompletedAt = Now };
        _recordOutputs[index] = output;
    }

    private void UpdateRecord(int index, Func<StepRecord, StepRecord> update, FlowValue? output = null)
    {
        if (index < 0)
        {
            return;
        }

        _progress.Steps[index] = update(_progress.Steps[index]);
        if (output is not null)
        {
            _recordOutputs[index] = output;
        }
    }

    private void SetDetail(Scope scope, Node node, string detail)
    {
        if (scope.Record)
        {
            UpdateRecordByPath(node.Path, r => r with { Detail = detail });
        }
    }

    private void UpdateRecordByPath(string path, Func<StepRecord, StepRecord> update)
    {
        for (var i = _progress.Steps.Count - 1; i >= 0; i--)
        {
            if (_progress.Steps[i].Path == path)
            {
                _progress.Steps[i] = update(_progress.Steps[i]);
                return;
            }
        }
    }

    private RunResult Completed(FlowValue output) => new()
    {
        Status = RunStatus.Completed,
        Output = output.ToNullableJson(),
        Steps = RecordsWithOutputs(),
    };

    private RunResult Failed(StepError error) => new()
    {
        Status = RunStatus.Failed,
        Error = error,
        Steps = RecordsWithOutputs(),
    };

    private RunResult Cancelled(StepError error) => new()
    {
        Status = RunStatus.Cancelled,
        Error = error,
        Steps = RecordsWithOutputs(),
    };

    private List<StepRecord> RecordsWithOutputs()
    {
        var records = new List<StepRecord>(_progress.Steps.Count);
        for (var i = 0; i < _progress.Steps.Count; i++)
        {
            records.Add(_recordOutputs[i] is { } output ? _progress.Steps[i] with { Output = output } : _progress.Steps[i]);
        }

        return records;
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// <summary>
    /// A durable timer that is never early: some storage (Azurite) can deliver a timer up to a second before its
    /// time, so the timer is re-armed until the orchestration's clock has reached <paramref name="fireAt"/>.
    /// </summary>
    private async Task TimerAsync(DateTime fireAt, CancellationToken cancel)
    {
        await _context.CreateTimer(fireAt, cancel);
        for (var rearm = 0; rearm < 10 && _context.CurrentUtcDateTime < fireAt; rearm++)
        {
            await _context.CreateTimer(fireAt, cancel);
        }
    }

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
    private async void Abandon(Task task)
    {
        MarkAbandonedCalls();
        var open = !task.IsCompleted;
        if (open)
        {
            _leftOpen = true;
            _openAbandoned++;
        }

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

    /// <summary>
    /// Runs <c>count</c> tasks with at most <c>limit</c> in flight, starting the next as soon as one finishes (a sliding
    /// window, not waves). The first failure decides: the remaining tasks are abandoned (their block token is
    /// cancelled, so they start nothing new) and the caller's exception is thrown. Results come back in index order.
    /// With a <see cref="BlockState"/>, abandoned tasks are handed on as its leftovers, and (unless
    /// <c>countLeftovers</c> is false) leftovers of earlier attempts that still run take places in the window until they end.
    /// </summary>
    private sealed class SlidingWindow(Interpreter owner, int count, int limit, CancellationToken cancel, BlockState? attempts = null, bool countLeftovers = true)
    {
        private readonly Dictionary<Task<FlowValue>, int> _inFlight = [];

        /// <summary>The tasks in flight now.</summary>
        public List<Task> Running() => [.. _inFlight.Keys];

        public FlowValue[] Results { get; } = new FlowValue[count];

        public BranchState[] States { get; } = new BranchState[count];

        /// <summary>Marks tasks whose results arrived in the same batch of events as completed.</summary>
        public void CollectArrived()
        {
            foreach (var (task, index) in _inFlight)
            {
                if (task.IsCompletedSuccessfully)
                {
                    Results[index] = task.Result;
                    States[index] = BranchState.Completed;
                }
            }
        }

        public async Task<FlowValue[]> RunAsync(Func<int, CancellationToken, Task<FlowValue>> start, Func<int, NodeFailure, Exception> fail)
        {
            using var block = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var window = Math.Max(1, limit);
            var next = 0;

            // Work an earlier attempt left running keeps its places in the window until it ends.
            var held = countLeftovers && attempts is not null ? attempts.Leftovers.Where(t => !t.IsCompleted).ToList() : [];

            void StartMore()
            {
                // An empty list starts nothing and completes at once with no results.
                while (next < count && _inFlight.Count + held.Count < window && !block.IsCancellationRequested)
                {
                    var index = next++;
                    States[index] = BranchState.Running;
                    _inFlight[start(index, block.Token)] = index;
                }
            }

            StartMore();
            while (_inFlight.Count > 0 || (next < count && held.Count > 0))
            {
                var done = await Task.WhenAny(held.Count == 0 ? _inFlight.Keys : [.. _inFlight.Keys, .. held]);
                if (done is not Task<FlowValue> mine || !_inFlight.TryGetValue(mine, out var index))
                {
                    held.Remove(done);
                    StartMore();
                    continue;
                }

                _inFlight.Remove(mine);
                if (mine.Exception?.InnerException is { } exception)
                {
                    // A failure decides the block; so does a Cancel step inside an item (it ends the whole run).
                    States[index] = BranchState.Failed;
                    var error = exception is NodeFailure failure ? fail(index, failure) : null;
                    block.Cancel();
                    foreach (var pending in _inFlight.Keys)
                    {
                        owner.Abandon(pending);
                        attempts?.Leftovers.Add(pending);
                    }

                    if (error is null)
                    {
                        await mine;
                    }

                    throw error!;
                }

                Results[index] = await mine;
                States[index] = BranchState.Completed;
                StartMore();
            }

            return Results;
        }
    }

    /// <summary>Lets a timeout report the branch outcomes of the block it interrupted.</summary>
    private sealed class BlockState
    {
        public Func<List<BranchOutcome>>? Snapshot { get; set; }

        /// <summary>When the current attempt's timeout ends it, if the node has one.</summary>
        public DateTimeOffset? Deadline { get; set; }

        /// <summary>
        /// Work that earlier attempts left running (a body that outlived its timeout, the other branches of a failed
        /// block): activities cannot be stopped, so the next attempt counts it against its window until it ends.
        /// </summary>
        public List<Task> Leftovers { get; } = [];

        /// <summary>The current attempt's tasks in flight, for a timeout to hand on as leftovers.</summary>
        public Func<List<Task>>? InFlight { get; set; }

        /// <summary>A continued loop's deadline, used by its first attempt in this execution instead of a new one.</summary>
        public DateTimeOffset? ResumeDeadline { get; set; }

        /// <summary>A continued loop's iteration count, taken by its first attempt in this execution.</summary>
        public int? ResumeIteration { get; set; }

        /// <summary><c>Last</c> before a loop's first attempt: where a retried attempt starts over.</summary>
        public FlowValue? LoopStart { get; set; }
    }

    private enum BranchState
    {
        Pending,
        Running,
        Completed,
        Failed,
    }

    /// <summary>Where a sequence of nodes reads and writes <c>Last</c> and step outputs.</summary>
    private sealed class Scope
    {
        private readonly Interpreter _owner;
        private readonly Scope? _parent;

        public Scope(Interpreter owner, FlowValue last, Scope? parent, IReadOnlyList<JsonElement> items, string key, bool record)
        {
            _owner = owner;
            Last = last;
            _parent = parent;
            Items = items;
            Key = key;
            Record = record;
        }

        public FlowValue Last { get; set; }

        public Dictionary<string, FlowValue> Outputs { get; } = new(StringComparer.Ordinal);

        public IReadOnlyList<JsonElement> Items { get; }

        /// <summary>The scope's key in the output cache: empty for the run, then <c>|path#item</c> per for-each level.</summary>
        public string Key { get; }

        /// <summary>Whether nodes in this scope get step records (not inside for-each items).</summary>
        public bool Record { get; }

        /// <summary>Size of the outputs visible from this scope, in bytes of UTF-8 JSON.</summary>
        public long Bytes => _ownBytes + (_parent?.Bytes ?? 0);

        private long _ownBytes;

        /// <summary>Whether this scope's outputs are in the host's output cache (see <see cref="Spill"/>).</summary>
        private bool _spilled;

        public void Set(string name, FlowValue value)
        {
            if (Outputs.TryGetValue(name, out var previous))
            {
                _ownBytes -= Size(previous);
            }

            Outputs[name] = value;
            _ownBytes += Size(value);
            if (_spilled)
            {
                _owner._cache?.Put(_owner._context.InstanceId, Key, name, value);
            }
        }

        /// <summary>
        /// Puts the outputs visible from this scope into the host's output cache, before the first step that does not
        /// carry them inline; outputs set afterwards follow as they are set. Small runs never touch the cache.
        /// </summary>
        public void Spill()
        {
            _parent?.Spill();
            if (_spilled || _owner._cache is not { } cache)
            {
                return;
            }

            foreach (var (name, value) in Outputs)
            {
                cache.Put(_owner._context.InstanceId, Key, name, value);
            }

            _spilled = true;
        }

        public Scope Child(FlowValue last, JsonElement item, string keySegment) =>
            new(_owner, last, this, [.. Items, item], Key + "|" + keySegment, record: false);

        public Scope Snapshot()
        {
            var copy = new Scope(_owner, Last, _parent, Items, Key, Record) { _ownBytes = _ownBytes, _spilled = _spilled };
            foreach (var (name, value) in Outputs)
            {
                copy.Outputs[name] = value;
            }

            return copy;
        }

        public StepOutputs View() => new(Outputs, _parent?.View());

        public FlowContext FlowContext(FlowValue payload, RunDetails run) => new(payload, Last, View(), run);

        public Dictionary<string, JsonElement?>? Flatten()
        {
            if (Outputs.Count == 0 && _parent is null)
            {
                return null;
            }

            var all = _parent?.Flatten() ?? new Dictionary<string, JsonElement?>(StringComparer.Ordinal);
            foreach (var (name, value) in Outputs)
            {
                all[name] = value.ToNullableJson();
            }

            return all;
        }

        public List<string> Names()
        {
            var names = _parent?.Names() ?? [];
            names.AddRange(Outputs.Keys);
            return names;
        }

        private static long Size(FlowValue value) => value.IsNull ? 4 : JsonMarshal.GetRawUtf8Value(value.Json).Length;
    }
}

/// <summary>A <c>Cancel</c> step ended the run.</summary>
internal sealed class RunCancelledSignal(StepError error) : Exception(error.Message)
{
    public StepError Error { get; } = error;
}

/// <summary>The history being replayed does not match the current definition; the run fails with a versioning error.</summary>
internal sealed class ReplayMismatchSignal(StepError error) : Exception(error.Message)
{
    public StepError Error { get; } = error;
}

/// <summary>A loop asked for the run to continue as new with this input.</summary>
internal sealed class ContinueAsNewSignal(RunInput input) : Exception("continue as new")
{
    public RunInput Input { get; } = input;
}

/// <summary>The output of a human-in-the-loop step.</summary>
internal sealed record HumanDecision(bool Approved, string? Reason, string? ApprovedBy, DateTimeOffset? ApprovedAt, string Status, bool TimedOut);

/// <summary>A node failed; carries the error as data, the way failures cross the activity boundary.</summary>
internal sealed class NodeFailure(StepError error) : Exception(error.Message)
{
    public StepError Error { get; } = error;
}
