namespace Cronflow;

/// <summary>
/// Everything an <see cref="ICronflowClient"/> does, over a handful of Durable Task client operations that each
/// host provides: the embedded host through DurableTask.Core's <c>TaskHubClient</c>, the Functions app through
/// <c>DurableTaskClient</c>. Checks, inputs, idempotency, run mapping, concurrency gates and listing are shared.
/// </summary>
internal abstract class DurableCronflowClient : ICronflowClient, IStepWatch, Scheduling.IScheduleLedger
{
    /// <summary>The most backend pages one list call reads while filtering (the rest is behind the continuation token).</summary>
    private const int MaxPagesPerList = 10;

    /// <summary>How often a wait polls a run whose every change this process sees anyway (a run purged meanwhile is noticed).</summary>
    private static readonly TimeSpan SafetyPollDelay = TimeSpan.FromSeconds(1);

    private readonly RunCancellations _cancellations;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxPollDelay;
    private readonly InstanceUpdates? _updates;
    private readonly IStepOutputStore? _store;

    // maxPollDelay: the longest pause between two reads of a run that is waited for; updates: the changes this process
    // sees (the embedded engine's commits), null when it sees none; store: where the host's steps store large outputs
    // (purged with their runs), null when every output travels inline.
    protected DurableCronflowClient(WorkflowRegistry registry, CronflowOptions options, RunCancellations cancellations, TimeProvider time, TimeSpan maxPollDelay, InstanceUpdates? updates = null, IStepOutputStore? store = null)
    {
        Registry = registry;
        Options = options;
        _cancellations = cancellations;
        _time = time;
        _maxPollDelay = maxPollDelay;
        _updates = updates;
        _store = store;
    }

    protected WorkflowRegistry Registry { get; }

    protected CronflowOptions Options { get; }

    // ---- what each host provides ----------------------------------------------------------

    /// <summary>The instance's state with its input, output and custom status; null when it does not exist.</summary>
    protected abstract Task<InstanceSnapshot?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Starts an orchestration of the generic orchestrator. Returns false, starting nothing, when an instance with
    /// that id exists: in any state when <paramref name="onlyIfAbsent"/>, otherwise only while it is active.
    /// </summary>
    protected abstract Task<bool> TryStartAsync(string instanceId, RunInput input, bool onlyIfAbsent, CancellationToken cancellationToken);

    /// <summary>Terminates an instance (and its sub-orchestrations where the backend can).</summary>
    protected abstract Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken);

    /// <summary>Raises an event on an instance.</summary>
    protected abstract Task SendEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken);

    /// <summary>One page of the task hub's instances (with inputs and custom status), and the token of the next page.</summary>
    protected abstract Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the instances whose ids start with <paramref name="prefix"/>, with their inputs: only the active ones
    /// (pending, running, suspended) when <paramref name="activeOnly"/>, else in any state.
    /// </summary>
    protected abstract Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryByPrefixAsync(string prefix, bool activeOnly, string? continuationToken, CancellationToken cancellationToken);

    /// <summary>Deletes an ended instance's history and state from the backend; false when there was nothing to delete.</summary>
    protected abstract Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The backend's own view of an instance (a run, a subflow, a chunk); null when it does not exist.</summary>
    internal Task<InstanceSnapshot?> GetInstanceSnapshotAsync(string instanceId, CancellationToken cancellationToken = default) => GetInstanceAsync(instanceId, cancellationToken);

    // ---- ICronflowClient ------------------------------------------------------------------

    public Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null, CancellationToken cancellationToken = default) =>
        TriggerAsync(workflowId, payload, runId, TriggerInfo.Manual, cancellationToken);

    public Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger, CancellationToken cancellationToken = default) =>
        StartAsync(RunRequests.Create(Registry, Options, workflowId, payload, trigger), runId, cancellationToken);

    /// <summary>The input of a manual run, checked as <see cref="TriggerAsync(string, object?, string?, CancellationToken)"/> checks it.</summary>
    internal RunInput CreateInput(string workflowId, object? payload) => RunRequests.Create(Registry, Options, workflowId, payload, TriggerInfo.Manual);

    /// <summary>Starts a run with a prepared input; a given run id makes it idempotent.</summary>
    internal async Task<string> StartAsync(RunInput input, string? runId, CancellationToken cancellationToken = default)
    {
        if (runId is not null)
        {
            RunRequests.ValidateRunId(runId);
            if (await GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                RunRequests.EnsureSameRun(runId, RunInfoMapper.ReadInput(existing.SerializedInput), input);
                return runId;
            }
        }

        var id = runId ?? RunRequests.NewRunId();
        if (Registry.Get(input.WorkflowId).Concurrency is not null)
        {
            await EnsureGateAsync(input.WorkflowId, cancellationToken).ConfigureAwait(false);
        }

        await StorePayloadAsync(id, input, cancellationToken).ConfigureAwait(false);
        var started = await TryStartAsync(id, input, onlyIfAbsent: true, cancellationToken).ConfigureAwait(false);
        if (!started || runId is not null)
        {
            // Another caller may have started the same run id at the same moment (some backends accept both starts
            // and keep one input): read the run back; it is the idempotent case only if it is the same run.
            var existing = await GetInstanceAsync(id, cancellationToken).ConfigureAwait(false);
            RunRequests.EnsureSameRun(id, RunInfoMapper.ReadInput(existing?.SerializedInput), input);
        }

        return id;
    }

    /// <summary>
    /// Puts a payload larger than the inline allowance into the output store, once, below the run (so that the run's
    /// end frees it and a purge deletes it): the run's steps then receive its reference instead of a copy each. The
    /// input keeps the value, which the orchestration's conditions read without I/O.
    /// </summary>
    /// <remarks>
    /// When another start of the same run id wins, the payload stored here is left below that run and goes with it.
    /// </remarks>
    private async Task StorePayloadAsync(string runId, RunInput input, CancellationToken cancellationToken)
    {
        if (_store is null || input.PayloadKey is not null || !RunRequests.StoresPayload(Options, input.Payload))
        {
            return;
        }

        var key = await _store.PutAsync(runId, runId, input.Payload!.Value, cancellationToken).ConfigureAwait(false);
        input.PayloadKey = StepOutputKeys.Qualify(runId, StepOutputKeys.Id(key));
    }

    public async Task<RunInfo?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        var instance = await GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false);
        return instance is null ? null : RunInfoMapper.ToRunInfo(instance);
    }

    /// <summary>
    /// Waits until the run is finished as <see cref="RunInfo.IsFinished"/> reports it (its result decided, even while
    /// abandoned work still keeps the orchestration open). The run is read again whenever this process sees it change
    /// (<see cref="InstanceUpdates"/>) or the backend's completion wait ends, and otherwise polled with a doubling
    /// delay: from 1 ms up to the host's poll limit, or only as a safety net when every change is seen here.
    /// </summary>
    public async Task<RunInfo> WaitForRunAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        var deadline = _time.GetUtcNow() + timeout;
        var delay = _updates is { SeesEveryChange: true } ? SafetyPollDelay : TimeSpan.FromMilliseconds(1);
        CancellationTokenSource? stopCompletion = null;
        Task? completion = null;
        InstanceSnapshot? committed = null;
        try
        {
            while (true)
            {
                // A change that carried the state it committed needs no read to tell whether it finished the run.
                if (committed is not null && Finished(committed) is { } seen)
                {
                    return seen;
                }

                // Watch before reading, so that a change committed between the read and the wait still ends the wait.
                using var watch = _updates?.Next(runId);
                var instance = await GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
                if (Finished(instance) is { } run)
                {
                    return run;
                }

                var left = deadline - _time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    throw new RunWaitTimeoutException(runId, timeout, RunInfoMapper.ToRunInfo(instance, includeOutputs: false).Status);
                }

                if (completion is null && watch is null)
                {
                    stopCompletion = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    completion = WaitForCompletionAsync(runId, stopCompletion.Token) ?? Task.Delay(Timeout.Infinite, stopCompletion.Token);
                }
                else if (completion is { IsCompleted: true })
                {
                    // The orchestration's completion was seen and the run read after it: if that did not finish it
                    // (a completion wait the backend does not offer), go on polling alone.
                    completion = Task.Delay(Timeout.Infinite, stopCompletion!.Token);
                }

                var wake = watch?.Changed ?? completion!;
                await wake.WaitAsync(delay < left ? delay : left, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
                committed = watch?.Changed is { IsCompletedSuccessfully: true } changed ? changed.Result : null;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Math.Max(_maxPollDelay.Ticks, delay.Ticks)));
            }
        }
        finally
        {
            if (stopCompletion is not null)
            {
                await stopCompletion.CancelAsync().ConfigureAwait(false);
                stopCompletion.Dispose();
            }
        }
    }

    /// <summary>The run the instance is, when it is finished; null while it goes on. Most instances read are still going, and are not mapped.</summary>
    private static RunInfo? Finished(InstanceSnapshot instance) =>
        RunInfoMapper.MayBeFinished(HasEnded(instance.State), instance.SerializedCustomStatus) && RunInfoMapper.ToRunInfo(instance) is { IsFinished: true } run ? run : null;

    /// <summary>
    /// The backend's own wait for the instance's orchestration to complete, when it has one; null when it has none.
    /// Used where no change of the instance is seen in this process.
    /// </summary>
    protected virtual Task? WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken) => null;

    public async Task CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default)
    {
        var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        if (run.IsFinished)
        {
            return;
        }

        reason ??= "Cancelled.";
        await TerminateAsync(runId, reason, cancellationToken).ConfigureAwait(false);

        // The run is terminated first, so that it starts no further children; then every child still active (its
        // subflows and for-each chunks, theirs in turn) is terminated too, before any step token fires (a step that
        // ends early could otherwise let its child finish first). Steps running anywhere see their token fire: at once
        // in this process, within CronflowOptions.CancellationCheckInterval on other hosts.
        var terminated = new List<(string InstanceId, string? WorkflowId)> { (runId, run.WorkflowId) };
        foreach (var child in await ActiveDescendantsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            var input = RunInfoMapper.ReadInput(child.SerializedInput);
            try
            {
                await TerminateAsync(child.InstanceId, reason, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A child that ended between the query and now: nothing left to stop.
                continue;
            }

            // A for-each chunk runs under its run's slot; a subflow holds its own.
            terminated.Add((child.InstanceId, input?.Chunk is null ? input?.WorkflowId : null));
        }

        foreach (var (instanceId, workflowId) in terminated)
        {
            await AfterTerminateAsync(instanceId, workflowId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fires the tokens of the instance's steps running in this process and gives back its run slot, if any.</summary>
    private async Task AfterTerminateAsync(string instanceId, string? workflowId, CancellationToken cancellationToken)
    {
        _cancellations.Cancel(instanceId);
        if (workflowId is not null && Registry.TryGet(workflowId, out var workflow) && workflow.Concurrency is not null)
        {
            // A terminated run cannot give its slot back (or leave the queue) itself: do it on its behalf.
            var release = new GateMessage { Op = GateMessage.Release, RunId = instanceId };
            await SendEventAsync(ConcurrencyGate.InstanceId(workflow.Id), ConcurrencyGate.GateEvent, release, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The active orchestrations a run started, directly or not: for-each chunks (<c>{parent}~…</c>) and subflows
    /// (<c>{parent}:{name}…</c>, started by a workflow trigger), found by their id prefix.
    /// </summary>
    internal Task<List<InstanceSnapshot>> ActiveDescendantsAsync(string runId, CancellationToken cancellationToken = default) =>
        DescendantsAsync(runId, activeOnly: true, cancellationToken);

    /// <summary>The orchestrations a run started, directly or not, found as <see cref="ActiveDescendantsAsync"/> finds them; in any state unless <paramref name="activeOnly"/>.</summary>
    internal async Task<List<InstanceSnapshot>> DescendantsAsync(string runId, bool activeOnly, CancellationToken cancellationToken = default)
    {
        var found = new List<InstanceSnapshot>();
        foreach (var prefix in new[] { runId + RunInfoMapper.ChildSeparator, runId + ":" })
        {
            string? token = null;
            do
            {
                var (instances, next) = await QueryByPrefixAsync(prefix, activeOnly, token, cancellationToken).ConfigureAwait(false);
                foreach (var instance in instances)
                {
                    var input = RunInfoMapper.ReadInput(instance.SerializedInput);
                    if (input is not null && (input.Chunk is not null || input.Trigger?.Kind == TriggerKind.Workflow || input.Parent is not null))
                    {
                        found.Add(instance);
                    }
                }

                token = string.IsNullOrEmpty(next) ? null : next;
            }
            while (token is not null);
        }

        return found;
    }

    /// <summary>Whether a step scheduled by <paramref name="instanceId"/> as call <paramref name="call"/> is still wanted; see <see cref="IStepWatch"/>.</summary>
    public async Task<bool> IsStepAbandonedAsync(string instanceId, int call)
    {
        var instance = await GetInstanceAsync(instanceId, CancellationToken.None).ConfigureAwait(false);
        if (instance is null || HasEnded(instance.State))
        {
            return true;
        }

        var progress = RunInfoMapper.ReadProgress(instance.SerializedCustomStatus);
        return progress?.Result is not null || progress?.Abandoned?.Contains(call) == true;
    }

    public async Task RaiseEventAsync(string runId, string eventName, object? payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        var json = RunRequests.ToEventPayload(Options, $"The payload of event '{eventName}'", payload);
        _ = await GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        await SendEventAsync(runId, eventName, json, cancellationToken).ConfigureAwait(false);
    }

    public async Task ResumeAsync(string token, object? payload, CancellationToken cancellationToken = default)
    {
        var json = RunRequests.ToEventPayload(Options, "The resume payload", payload);
        if (ResumePayload.Check(json) is { } invalid)
        {
            throw invalid;
        }

        var (instanceId, eventName) = await RunRequests.ResolveResumeAsync(token, id => GetInstanceAsync(id, cancellationToken)).ConfigureAwait(false);
        await SendEventAsync(instanceId, eventName, json, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> PublishEventAsync(string eventName, object? payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        var trigger = new TriggerInfo { Kind = TriggerKind.Event, Source = eventName };
        var ids = new List<string>();
        foreach (var workflow in Registry.SubscribedTo(eventName))
        {
            ids.Add(await TriggerAsync(workflow.Id, payload, null, trigger, cancellationToken).ConfigureAwait(false));
        }

        return ids;
    }

    public async Task<string> ReplayAsync(string runId, CancellationToken cancellationToken = default)
    {
        var instance = await GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        var original = RunInfoMapper.ReadInput(instance.SerializedInput) ?? throw new CronflowException($"The input of run '{runId}' cannot be read.");
        var input = RunRequests.Create(Registry, Options, original.WorkflowId, FlowValue.FromOwned(original.Payload), original.Trigger, replayOf: runId);
        return await StartAsync(input, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Purges an ended run: refuses while it or any orchestration under it is active, then deletes the step outputs
    /// it and its subflows stored, then the histories of the orchestrations under it (deepest first), the run's last.
    /// A purge that fails part way can be repeated: what is left is found again.
    /// </summary>
    public async Task<bool> PurgeRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        if (runId.Contains(RunInfoMapper.ChildSeparator, StringComparison.Ordinal)
            || await GetInstanceAsync(runId, cancellationToken).ConfigureAwait(false) is not { } run)
        {
            // Ids with '~' name sub-orchestrations and gates, which are purged only with their run.
            return false;
        }

        if (!HasEnded(run.State))
        {
            // A run whose result is decided can still hold work it abandoned (a race's loser): only its end helps then.
            var status = RunInfoMapper.ToRunInfo(run, includeOutputs: false).Status;
            throw new RunNotEndedException(runId, status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled
                ? $"it is {status}, but its orchestration still waits for work it abandoned; purge it once that has ended"
                : $"it is {status}; cancel it or let it end first");
        }

        // Only instances this run started, directly or through its children: each names its parent in its input, so an
        // unrelated run whose id merely starts with "<runId>:" is left alone.
        var tree = new HashSet<string>(StringComparer.Ordinal) { runId };
        var children = new List<(InstanceSnapshot Instance, RunInput Input)>();
        foreach (var candidate in (await DescendantsAsync(runId, activeOnly: false, cancellationToken).ConfigureAwait(false)).OrderBy(i => i.InstanceId.Length))
        {
            if (RunInfoMapper.ReadInput(candidate.SerializedInput) is { } input && input.Parent is { } parent && tree.Contains(parent))
            {
                tree.Add(candidate.InstanceId);
                children.Add((candidate, input));
            }
        }

        if (children.FirstOrDefault(c => !HasEnded(c.Instance.State)).Instance is { } active)
        {
            throw new RunNotEndedException(runId, $"the orchestration '{active.InstanceId}' it started is still {active.State}; cancel the run or let it end first");
        }

        // Outputs are stored under the run that wrote them: this run (its chunks and loops included) and each subflow.
        if (_store is not null)
        {
            await _store.DeleteRunAsync(runId, cancellationToken).ConfigureAwait(false);
            foreach (var (subflow, _) in children.Where(c => c.Input.Chunk is null && c.Input.Loop is null))
            {
                await _store.DeleteRunAsync(subflow.InstanceId, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var (child, _) in Enumerable.Reverse(children))
        {
            await PurgeInstanceAsync(child.InstanceId, cancellationToken).ConfigureAwait(false);
        }

        await PurgeInstanceAsync(runId, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Whether the instance's orchestration has ended (completed, failed or terminated).</summary>
    private static bool HasEnded(InstanceState state) => state is InstanceState.Completed or InstanceState.Failed or InstanceState.Terminated;

    /// <summary>
    /// Lists runs page by page through the task hub's instance query. Sub-orchestrations and gates (ids with '~')
    /// are not runs of their own and are left out; the workflow and status filters apply to each backend page, so a
    /// page can hold fewer runs than asked for while a continuation token says more may follow. Newest first.
    /// </summary>
    public async Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        var token = query.ContinuationToken;
        var runs = new List<RunInfo>();
        for (var pages = 0; pages < MaxPagesPerList && runs.Count < pageSize; pages++)
        {
            var (instances, next) = await QueryAsync(pageSize - runs.Count, token, cancellationToken).ConfigureAwait(false);
            foreach (var instance in instances)
            {
                if (instance.InstanceId.Contains(RunInfoMapper.ChildSeparator, StringComparison.Ordinal) || instance.InstanceId.StartsWith('@'))
                {
                    continue;
                }

                var run = RunInfoMapper.ToRunInfo(instance, includeOutputs: false);
                if ((query.WorkflowId is { } workflowId && run.WorkflowId != workflowId) || (query.Status is { } status && run.Status != status)
                    || (query.RunIdPrefix is { Length: > 0 } prefix && !run.Id.StartsWith(prefix, StringComparison.Ordinal))
                    || (query.CreatedFrom is { } from && run.CreatedAt < from) || (query.CreatedTo is { } to && run.CreatedAt >= to))
                {
                    continue;
                }

                runs.Add(run);
            }

            token = string.IsNullOrEmpty(next) ? null : next;
            if (token is null)
            {
                break;
            }
        }

        return new RunPage([.. runs.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)], token);
    }

    // ---- schedule records -----------------------------------------------------------------

    /// <inheritdoc/>
    public async Task<DateTimeOffset> GetSinceAsync(string workflowId, string triggerKey, DateTimeOffset now)
    {
        var id = Scheduling.ScheduleLedger.RecordId(workflowId, triggerKey);
        if (Scheduling.ScheduleLedger.ReadSince(await GetInstanceAsync(id, CancellationToken.None).ConfigureAwait(false)) is { } since)
        {
            return since;
        }

        // First sight: record it. Another host may record it at the same moment; whichever record the backend kept wins.
        await TryStartAsync(id, Scheduling.ScheduleLedger.Input(workflowId, triggerKey, now), onlyIfAbsent: true, CancellationToken.None).ConfigureAwait(false);
        return Scheduling.ScheduleLedger.ReadSince(await GetInstanceAsync(id, CancellationToken.None).ConfigureAwait(false)) ?? now;
    }

    // ---- concurrency gates ----------------------------------------------------------------

    /// <summary>Starts the concurrency gate of every workflow with a cap that is not running (subflows need them too).</summary>
    public async Task EnsureGatesAsync(CancellationToken cancellationToken = default)
    {
        foreach (var workflow in Registry.All.Where(w => w.Concurrency is not null))
        {
            await EnsureGateAsync(workflow.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task EnsureGateAsync(string workflowId, CancellationToken cancellationToken) => ConcurrencyGateClient.EnsureRunningAsync(
        workflowId,
        ConcurrencyGate.LimitOf(Registry, workflowId),
        async id => (await GetInstanceAsync(id, cancellationToken).ConfigureAwait(false))?.State,
        async (id, input) => await TryStartAsync(id, input, onlyIfAbsent: false, cancellationToken).ConfigureAwait(false));
}
