using DurableTask.Core.Query;
using DurableTask.Core;
using DurableTask.Core.Exceptions;

namespace Cronflow.Hosting;

/// <summary><see cref="ICronflowClient"/> over DurableTask.Core's <see cref="TaskHubClient"/>, for the embedded engine.</summary>
internal sealed class EmbeddedCronflowClient : ICronflowClient
{
    private static readonly OrchestrationStatus[] AnyStatus =
    [
        OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended,
        OrchestrationStatus.Completed, OrchestrationStatus.Failed, OrchestrationStatus.Canceled, OrchestrationStatus.Terminated,
    ];

    private readonly TaskHubClient _client;
    private readonly WorkflowRegistry _registry;
    private readonly CronflowOptions _options;
    private readonly RunCancellations _cancellations;
    private readonly IOrchestrationServiceQueryClient _query;

    public EmbeddedCronflowClient(IOrchestrationServiceClient service, WorkflowRegistry registry, CronflowOptions options, RunCancellations cancellations)
    {
        _client = new TaskHubClient(service, StjDataConverter.Instance);
        _query = service as IOrchestrationServiceQueryClient
            ?? throw new ArgumentException("The orchestration service cannot list instances.", nameof(service));
        _registry = registry;
        _options = options;
        _cancellations = cancellations;
    }

    public Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null) =>
        TriggerAsync(workflowId, payload, runId, TriggerInfo.Manual);

    public async Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger)
    {
        var input = RunRequests.Create(_registry, _options, workflowId, payload, trigger);
        return await StartAsync(input, runId).ConfigureAwait(false);
    }

    internal async Task<string> StartAsync(RunInput input, string? runId)
    {
        if (runId is not null)
        {
            RunRequests.ValidateRunId(runId);
            var existing = await _client.GetOrchestrationStateAsync(runId).ConfigureAwait(false);
            if (existing is not null)
            {
                RunRequests.EnsureSameRun(runId, RunInfoMapper.ReadInput(existing.Input), input);
                return runId;
            }
        }

        var id = runId ?? RunRequests.NewRunId();
        if (_registry.Get(input.WorkflowId).Concurrency is not null)
        {
            await EnsureGateAsync(input.WorkflowId).ConfigureAwait(false);
        }

        try
        {
            await _client.CreateOrchestrationInstanceAsync(
                WorkflowOrchestrator.Name,
                string.Empty,
                id,
                input,
                new Dictionary<string, string> { ["workflowId"] = input.WorkflowId },
                AnyStatus).ConfigureAwait(false);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            // Another caller started the same run id at the same moment.
            var existing = await _client.GetOrchestrationStateAsync(id).ConfigureAwait(false);
            RunRequests.EnsureSameRun(id, RunInfoMapper.ReadInput(existing?.Input), input);
        }

        return id;
    }

    /// <summary>Starts the concurrency gates of every workflow that has a cap (hosts call this at start, so subflows find them).</summary>
    internal async Task EnsureGatesAsync()
    {
        foreach (var workflow in _registry.All.Where(w => w.Concurrency is not null))
        {
            await EnsureGateAsync(workflow.Id).ConfigureAwait(false);
        }
    }

    private Task EnsureGateAsync(string workflowId) => ConcurrencyGate.EnsureRunningAsync(
        workflowId,
        async id => await _client.GetOrchestrationStateAsync(id).ConfigureAwait(false) is { } state ? ToSnapshot(state).State : null,
        async (id, input) =>
        {
            try
            {
                await _client.CreateOrchestrationInstanceAsync(WorkflowOrchestrator.Name, string.Empty, id, input, null,
                    [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended]).ConfigureAwait(false);
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Another host started it first.
            }
        });

    public async Task<RunInfo?> GetRunAsync(string runId)
    {
        var state = await GetStateAsync(runId).ConfigureAwait(false);
        return state is null ? null : RunInfoMapper.ToRunInfo(ToSnapshot(state));
    }

    public async Task<RunInfo> WaitForRunAsync(string runId, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var run = await GetRunAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
            if (run.IsFinished)
            {
                return run;
            }

            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new RunWaitTimeoutException(runId, timeout, run.Status);
            }

            await Task.Delay(delay < left ? delay : left).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
        }
    }

    public async Task CancelAsync(string runId, string? reason = null)
    {
        var run = await GetRunAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        if (run.IsFinished)
        {
            return;
        }

        await _client.TerminateInstanceAsync(new OrchestrationInstance { InstanceId = runId }, reason ?? "Cancelled.").ConfigureAwait(false);
        _cancellations.Cancel(runId);
        if (_registry.TryGet(run.WorkflowId, out var workflow) && workflow.Concurrency is not null)
        {
            // A terminated run cannot give its slot back itself (or leave the queue): do it on its behalf.
            var release = new GateMessage { Op = GateMessage.Release, RunId = runId };
            await _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = ConcurrencyGate.InstanceId(workflow.Id) }, ConcurrencyGate.GateEvent, release).ConfigureAwait(false);
        }
    }

    public async Task RaiseEventAsync(string runId, string eventName, object? payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        var json = RunRequests.ToEventPayload(_options, $"The payload of event '{eventName}'", payload);
        _ = await GetStateAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        await _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = runId }, eventName, json!).ConfigureAwait(false);
    }

    public async Task ResumeAsync(string token, object? payload)
    {
        var json = RunRequests.ToEventPayload(_options, "The resume payload", payload);
        var (instanceId, eventName) = await RunRequests.ResolveResumeAsync(token, async id =>
        {
            var state = await _client.GetOrchestrationStateAsync(id).ConfigureAwait(false);
            return state is null ? null : ToSnapshot(state);
        }).ConfigureAwait(false);
        await _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = instanceId }, eventName, json!).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> PublishEventAsync(string eventName, object? payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        var trigger = new TriggerInfo { Kind = TriggerKind.Event, Source = eventName };
        var ids = new List<string>();
        foreach (var workflow in _registry.SubscribedTo(eventName))
        {
            ids.Add(await TriggerAsync(workflow.Id, payload, null, trigger).ConfigureAwait(false));
        }

        return ids;
    }

    public async Task<string> ReplayAsync(string runId)
    {
        var state = await GetStateAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        var original = RunInfoMapper.ReadInput(state.Input) ?? throw new CronflowException($"The input of run '{runId}' cannot be read.");
        var input = RunRequests.Create(_registry, _options, original.WorkflowId, FlowValue.FromOwned(original.Payload), original.Trigger, replayOf: runId);
        return await StartAsync(input, null).ConfigureAwait(false);
    }

    public async Task<RunPage> ListRunsAsync(RunQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        var continuation = query.ContinuationToken;
        var runs = new List<RunInfo>();

        // Filters on workflow and Cronflow status are applied after the engine's query, so a page is filled from
        // as many engine pages as it takes.
        do
        {
            var result = await _query.GetOrchestrationWithQueryAsync(
                new OrchestrationQuery { PageSize = pageSize, ContinuationToken = continuation, FetchInputsAndOutputs = true },
                CancellationToken.None).ConfigureAwait(false);
            foreach (var state in result.OrchestrationState)
            {
                if (state.OrchestrationInstance.InstanceId.Contains(RunInfoMapper.ChildSeparator, StringComparison.Ordinal))
                {
                    continue;
                }

                var run = RunInfoMapper.ToRunInfo(ToSnapshot(state), includeOutputs: false);
                if ((query.WorkflowId is { } wf && run.WorkflowId != wf) || (query.Status is { } status && run.Status != status))
                {
                    continue;
                }

                runs.Add(run);
            }

            continuation = string.IsNullOrEmpty(result.ContinuationToken) ? null : result.ContinuationToken;
        }
        while (continuation is not null && runs.Count < pageSize);

        return new RunPage(runs.OrderByDescending(r => r.CreatedAt).ToList(), continuation);
    }

    private async Task<OrchestrationState?> GetStateAsync(string runId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        return await _client.GetOrchestrationStateAsync(runId).ConfigureAwait(false);
    }

    internal static InstanceSnapshot ToSnapshot(OrchestrationState state) => new(
        state.OrchestrationInstance.InstanceId,
        state.OrchestrationStatus switch
        {
            OrchestrationStatus.Pending => InstanceState.Pending,
            OrchestrationStatus.Completed => InstanceState.Completed,
            OrchestrationStatus.Failed => InstanceState.Failed,
            OrchestrationStatus.Terminated or OrchestrationStatus.Canceled => InstanceState.Terminated,
            OrchestrationStatus.Suspended => InstanceState.Suspended,
            _ => InstanceState.Running,
        },
        state.Input,
        state.Output,
        state.Status,
        new DateTimeOffset(DateTime.SpecifyKind(state.CreatedTime, DateTimeKind.Utc)),
        new DateTimeOffset(DateTime.SpecifyKind(state.LastUpdatedTime, DateTimeKind.Utc)),
        state.FailureDetails?.ErrorType,
        state.FailureDetails?.ErrorMessage);
}
