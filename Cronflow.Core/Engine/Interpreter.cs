using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>
/// Walks a workflow's nodes inside one orchestration execution. Everything here is deterministic: time comes from
/// the orchestration, waiting is done with durable timers, and step bodies run only in the step activity.
/// </summary>
internal sealed class Interpreter
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
    private int? _resumeIteration;
    private int? _resumeRecord;
    private bool _holdsSlot;

    /// <summary>Whether a decided block left a task open (a race's loser, a timed-out step): see <see cref="Abandon"/>.</summary>
    private bool _leftOpen;
    private bool _continuing;
    private bool _requestedSlot;
    private int _generation;

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
        _runId = _input.Chunk?.RunId ?? _context.InstanceId;
        _startedAt = _input.Chunk?.StartedAt ?? Now;
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
            return await RunChunkAsync(chunk);
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

            var output = await RunRootAsync(definition, scope, startIndex);
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

    private async Task<FlowValue> RunRootAsync(WorkflowDefinition definition, Scope scope, int startIndex)
    {
        var deadline = _input.Resume?.Deadline ?? (definition.Timeout is { } timeout ? _startedAt + timeout : null);
        _deadline = deadline;
        if (deadline is null)
        {
            return await ExecuteListAsync(definition.Nodes, scope, CancellationToken.None, startIndex);
        }

        using var work = new CancellationTokenSource();
        using var timerCancel = new CancellationTokenSource();
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

        _resumeIteration = resume.Iteration;
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
        for (var attempt = 1; ; attempt++)
        {
            if (record >= 0 && _progress.Steps[record].Attempts != attempt)
            {
                _progress.Steps[record] = _progress.Steps[record] with { Attempts = attempt };
            }

            StepError error;
            try
            {
                var output = await RunWithTimeoutAsync(node, scope, attempt, cancel);
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

    private Task<FlowValue> RunWithTimeoutAsync(Node node, Scope scope, int attempt, CancellationToken cancel) =>
        node.Policy.Timeout is { } timeout
            ? RunWithTimeoutAsync(node, scope, attempt, timeout, cancel)
            : RunNodeAsync(node, scope, attempt, null, cancel);

    private async Task<FlowValue> RunWithTimeoutAsync(Node node, Scope scope, int attempt, TimeSpan timeout, CancellationToken cancel)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var timerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var block = new BlockState();
        var task = RunNodeAsync(node, scope, attempt, block, work.Token);
        var timer = TimerAsync(_context.CurrentUtcDateTime + timeout, timerCancel.Token);
        var winner = await Task.WhenAny(task, timer);
        if (winner == task)
        {
            timerCancel.Cancel();
            return await task;
        }

        var branches = block.Snapshot?.Invoke();
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
        ForEachNode forEach => RunForEachAsync(forEach, scope, cancel),
        SleepNode sleep => RunSleepAsync(sleep, scope, cancel),
        WaitForEventNode wait => RunWaitForEventAsync(wait, scope, cancel),
        HumanNode human => RunHumanAsync(human, scope, cancel),
        SubflowNode subflow => RunSubflowAsync(subflow, scope, attempt, cancel),
        WhileNode loop => RunWhileAsync(loop, scope, cancel),
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
            return CallActivityAsync(path, name, scope, attempt, error, timeout, resumeToken, inline: true);
        }

        scope.Spill();
        return CallWithCachedOutputsAsync(path, name, scope, attempt, error, timeout, resumeToken);
    }

    private async Task<FlowValue> CallWithCachedOutputsAsync(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken)
    {
        try
        {
            return await CallActivityAsync(path, name, scope, attempt, error, timeout, resumeToken, inline: false);
        }
        catch (NodeFailure failure) when (failure.Error.ErrorType == StepOutputsMissingException.TypeName)
        {
            // The host that ran the step did not hold the outputs it read: run it again with every output inline.
            return await CallActivityAsync(path, name, scope, attempt, error, timeout, resumeToken, inline: true);
        }
    }

    private async Task<FlowValue> CallActivityAsync(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, bool inline)
    {
        // While replaying, the call is matched to its recorded TaskScheduled event by name and order, and its input is
        // never sent again: building and serializing the request would be wasted work on every episode.
        var request = _context.IsReplaying ? null : BuildRequest(path, name, scope, attempt, error, timeout, resumeToken, inline);

        StepOutcome outcome;
        try
        {
            outcome = await _context.CallActivityAsync<StepOutcome>(StepActivity.Name, request);
        }
        catch (TaskFailedException ex)
        {
            throw new NodeFailure(RunErrors.FromTaskFailure(name, ex.FailureDetails));
        }

        if (outcome is null || !string.Equals(outcome.Path, path, StringComparison.Ordinal))
        {
            // Replaying a history recorded by another definition: this result belongs to another step.
            throw new ReplayMismatchSignal(RunErrors.ReplayMismatch(name, _runId, _definition.Id, outcome?.Path, path));
        }

        return FlowValue.FromOwned(outcome.Output);
    }

    private StepRequest BuildRequest(string path, string name, Scope scope, int attempt, StepError? error, TimeSpan? timeout, string? resumeToken, bool inline) =>
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
            ResumeToken = resumeToken,
        };

    // ---- parallel and race ------------------------------------------------------------------

    private async Task<FlowValue> RunParallelAsync(ParallelNode node, Scope scope, int attempt, BlockState? block, CancellationToken cancel)
    {
        var count = node.Branches.Count;
        var window = new SlidingWindow(this, count, node.MaxConcurrency ?? count, cancel);
        if (block is not null)
        {
            block.Snapshot = () => Outcomes(node, window, null, null);
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
        };
        var instanceId = scope.Items.Count == 0 && attempt == 1
            ? $"{_context.InstanceId}:{node.Name}"
            : $"{_context.InstanceId}:{node.Name}:{_context.NewGuid():N}";
        MarkWaiting(scope, node, $"subflow {target.Id} ({instanceId})");
        RunResult result;
        try
        {
            result = await _context.CallSubOrchestratorAsync<RunResult>(WorkflowOrchestrator.Name, input, new SubOrchestrationOptions { InstanceId = instanceId });
        }
        catch (TaskFailedException ex)
        {
            result = Failed(RunErrors.FromTaskFailure(node.Name, ex.FailureDetails));
        }

        ClearWaiting(scope, node);
        if (result.Status == RunStatus.Completed)
        {
            return FlowValue.FromOwned(result.Output);
        }

        throw new NodeFailure(RunErrors.SubflowFailed(node.Name, target.Id, instanceId, result.Status == RunStatus.Cancelled, result.Error));
    }

    private async Task<FlowValue> RunWhileAsync(WhileNode node, Scope scope, CancellationToken cancel)
    {
        var iteration = _resumeIteration ?? 0;
        _resumeIteration = null;
        var topLevel = scope.Record && !node.Path.Contains('/', StringComparison.Ordinal);
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
                throw new NodeFailure(RunErrors.MaxIterationsExceeded(node.Name, node.MaxIterations));
            }

            var output = await CallStepAsync(node.Path, node.Name, scope, 1, null, node.Policy.Timeout, cancel);
            ThrowIfAbandoned(cancel);
            scope.Last = output;
            scope.Set(node.Name, output);
            if (scope.Record)
            {
                UpdateRecordByPath(node.Path, r => r with { Detail = $"{iteration} iterations" });
            }

            if (topLevel && iteration % ContinueAsNewEvery == 0)
            {
                throw new ContinueAsNewSignal(new RunInput
                {
                    WorkflowId = _definition.Id,
                    Payload = _payload.ToNullableJson(),
                    Fingerprint = _definition.Fingerprint,
                    Trigger = _input.Trigger,
                    ReplayOf = _input.ReplayOf,
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
                    },
                });
            }
        }

        return scope.Last;
    }

    /// <summary>A top-level loop continues as new after this many iterations, so that its history stays small.</summary>
    internal const int ContinueAsNewEvery = 100;

    // ---- for-each ---------------------------------------------------------------------------

    private async Task<FlowValue> RunForEachAsync(ForEachNode node, Scope scope, CancellationToken cancel)
    {
        var flow = scope.FlowContext(_payload, Run);
        var items = Evaluate(node, "items", () => node.SelectItems(flow));
        SetDetail(scope, node, $"{items.Count} items");
        if (items.Count > node.ChunkSize)
        {
            return await RunChunksAsync(node, items, scope, cancel);
        }

        return await RunItemsAsync(node, items, 0, node.MaxConcurrency ?? items.Count, scope, cancel);
    }

    private async Task<FlowValue> RunItemsAsync(ForEachNode node, IReadOnlyList<JsonElement> items, int firstIndex, int maxConcurrency, Scope scope, CancellationToken cancel)
    {
        var window = new SlidingWindow(this, items.Count, maxConcurrency, cancel);
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

    private async Task<FlowValue> RunChunksAsync(ForEachNode node, IReadOnlyList<JsonElement> items, Scope scope, CancellationToken cancel)
    {
        var perChunk = Math.Min(node.MaxConcurrency ?? node.ChunkSize, node.ChunkSize);
        var chunks = items.Chunk(node.ChunkSize).ToList();
        var chunksInFlight = node.MaxConcurrency is { } max ? Math.Max(1, max / perChunk) : chunks.Count;
        var steps = scope.Flatten() ?? [];

        async Task<FlowValue> RunChunk(int index, CancellationToken token)
        {
            var input = new RunInput
            {
                WorkflowId = _definition.Id,
                Fingerprint = _definition.Fingerprint,
                Payload = _payload.ToNullableJson(),
                Trigger = _input.Trigger,
                Chunk = new ChunkInput
                {
                    Path = node.Path,
                    ItemChain = [.. scope.Items],
                    Items = [.. chunks[index]],
                    Start = index * node.ChunkSize,
                    MaxConcurrency = perChunk,
                    Last = scope.Last.ToNullableJson(),
                    Steps = steps,
                    RunId = _runId,
                    StartedAt = _startedAt,
                },
            };
            var options = new SubOrchestrationOptions { InstanceId = $"{_context.InstanceId}~{node.Path.Replace('/', '.')}~{index}" };
            RunResult result;
            try
            {
                result = await _context.CallSubOrchestratorAsync<RunResult>(WorkflowOrchestrator.Name, input, options);
            }
            catch (TaskFailedException ex)
            {
                result = Failed(RunErrors.FromTaskFailure(node.Name, ex.FailureDetails));
            }

            ThrowIfAbandoned(token);
            return result.Status switch
            {
                RunStatus.Completed => FlowValue.FromOwned(result.Output),
                RunStatus.Cancelled when result.Error is { } reason => throw new RunCancelledSignal(reason),
                _ => throw new NodeFailure(result.Error ?? RunErrors.ChunkFailed(node.Name, index)),
            };
        }

        var results = await new SlidingWindow(this, chunks.Count, chunksInFlight, cancel).RunAsync(RunChunk, (_, failure) => failure);
        return FlowValues.Concat(results);
    }

    private async Task<RunResult> RunChunkAsync(ChunkInput chunk)
    {
        try
        {
            if (_definition.FindNode(chunk.Path, chunk.ItemChain) is not ForEachNode node)
            {
                throw new NodeFailure(RunErrors.ChunkNotFound(chunk.Path, _definition.Id));
            }

            var parent = new Scope(this, FlowValue.FromOwned(chunk.Last), null, chunk.ItemChain, "", record: false);
            foreach (var (name, value) in chunk.Steps)
            {
                parent.Set(name, FlowValue.FromOwned(value));
            }

            var output = await RunItemsAsync(node, chunk.Items, chunk.Start, chunk.MaxConcurrency, parent, CancellationToken.None);
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
        if (!task.IsCompleted)
        {
            _leftOpen = true;
        }

        try
        {
            await task;
        }
        catch (Exception)
        {
            // The block was decided without this task; its failure changes nothing.
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
    /// </summary>
    private sealed class SlidingWindow(Interpreter owner, int count, int limit, CancellationToken cancel)
    {
        private readonly Dictionary<Task<FlowValue>, int> _inFlight = [];

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
            var window = Math.Max(1, Math.Min(limit, count));
            var next = 0;

            void StartNext()
            {
                var index = next++;
                States[index] = BranchState.Running;
                _inFlight[start(index, block.Token)] = index;
            }

            while (next < window)
            {
                StartNext();
            }

            while (_inFlight.Count > 0)
            {
                var done = await Task.WhenAny(_inFlight.Keys);
                var index = _inFlight[done];
                _inFlight.Remove(done);
                if (done.Exception?.InnerException is NodeFailure failure)
                {
                    States[index] = BranchState.Failed;
                    var error = fail(index, failure);
                    block.Cancel();
                    foreach (var pending in _inFlight.Keys)
                    {
                        owner.Abandon(pending);
                    }

                    throw error;
                }

                Results[index] = await done;
                States[index] = BranchState.Completed;
                if (next < count && !block.IsCancellationRequested)
                {
                    StartNext();
                }
            }

            return Results;
        }
    }

    /// <summary>Lets a timeout report the branch outcomes of the block it interrupted.</summary>
    private sealed class BlockState
    {
        public Func<List<BranchOutcome>>? Snapshot { get; set; }
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
