using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Cronflow.Functions.Engine;

/// <summary>
/// <see cref="ICronflowClient"/> over the Durable Functions client (<see cref="DurableTaskClient"/>): the same checks,
/// inputs and run mapping as the embedded client, through the Functions host's task hub.
/// </summary>
internal sealed class FunctionsCronflowClient : ICronflowClient
{
    /// <summary>An existing instance with any of these states makes a start request fail instead of replacing it.</summary>
    private static readonly OrchestrationRuntimeStatus[] AnyStatus =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated,
    ];

    /// <summary>The most backend pages one list call reads while filtering (the rest is behind the continuation token).</summary>
    private const int MaxPagesPerList = 10;

    private readonly DurableTaskClient _client;
    private readonly WorkflowRegistry _registry;
    private readonly CronflowOptions _options;
    private readonly RunCancellations _cancellations;
    private readonly TimeProvider _time;

    public FunctionsCronflowClient(DurableTaskClient client, WorkflowRegistry registry, CronflowOptions options, RunCancellations cancellations, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _registry = registry;
        _options = options;
        _cancellations = cancellations;
        _time = time;
    }

    public Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null) =>
        TriggerAsync(workflowId, payload, runId, TriggerInfo.Manual);

    public async Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger)
    {
        var input = RunRequests.Create(_registry, _options, workflowId, payload, trigger);
        return await StartAsync(input, runId).ConfigureAwait(false);
    }

    public async Task<RunInfo?> GetRunAsync(string runId)
    {
        var instance = await GetInstanceAsync(runId).ConfigureAwait(false);
        return instance is null ? null : RunInfoMapper.ToRunInfo(ToSnapshot(instance));
    }

    public async Task<RunInfo> WaitForRunAsync(string runId, TimeSpan timeout)
    {
        var deadline = _time.GetUtcNow() + timeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var run = await GetRunAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
            if (run.IsFinished)
            {
                return run;
            }

            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new RunWaitTimeoutException(runId, timeout, run.Status);
            }

            await Task.Delay(delay < left ? delay : left, _time).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    public async Task CancelAsync(string runId, string? reason = null)
    {
        var run = await GetRunAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        if (run.IsFinished)
        {
            return;
        }

        await _client.TerminateInstanceAsync(runId, new TerminateInstanceOptions(reason ?? "Cancelled.", Recursive: true)).ConfigureAwait(false);
        _cancellations.Cancel(runId);
        if (_registry.TryGet(run.WorkflowId, out var workflow) && workflow.Concurrency is not null)
        {
            // A terminated run cannot give its slot back (or leave the queue) itself: do it on its behalf.
            var release = new GateMessage { Op = GateMessage.Release, RunId = runId };
            await _client.RaiseEventAsync(ConcurrencyGate.InstanceId(workflow.Id), ConcurrencyGate.GateEvent, release).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the concurrency gate of every workflow with a cap that is not running (subflows need them too).</summary>
    public async Task EnsureGatesAsync()
    {
        foreach (var workflow in _registry.All.Where(w => w.Concurrency is not null))
        {
            await EnsureGateAsync(workflow.Id).ConfigureAwait(false);
        }
    }

    public async Task RaiseEventAsync(string runId, string eventName, object? payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        var json = RunRequests.ToEventPayload(_options, $"The payload of event '{eventName}'", payload);
        _ = await GetInstanceAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        await _client.RaiseEventAsync(runId, eventName, json).ConfigureAwait(false);
    }

    public async Task ResumeAsync(string token, object? payload)
    {
        var json = RunRequests.ToEventPayload(_options, "The resume payload", payload);
        var (instanceId, eventName) = await RunRequests.ResolveResumeAsync(token, async id =>
        {
            var instance = await _client.GetInstanceAsync(id, getInputsAndOutputs: true).ConfigureAwait(false);
            return instance is null ? null : ToSnapshot(instance);
        }).ConfigureAwait(false);
        await _client.RaiseEventAsync(instanceId, eventName, json).ConfigureAwait(false);
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
        var instance = await GetInstanceAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
        var original = RunInfoMapper.ReadInput(instance.SerializedInput) ?? throw new CronflowException($"The input of run '{runId}' cannot be read.");
        var input = RunRequests.Create(_registry, _options, original.WorkflowId, FlowValue.FromOwned(original.Payload), original.Trigger, replayOf: runId);
        return await StartAsync(input, null).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists runs page by page through the task hub's instance query. Sub-orchestrations (ids with '~') are not runs
    /// of their own and are left out; the workflow and status filters apply to each backend page, so a page can
    /// hold fewer runs than asked for while a continuation token says more may follow. Each page is newest first.
    /// </summary>
    public async Task<RunPage> ListRunsAsync(RunQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        var token = query.ContinuationToken;
        var runs = new List<RunInfo>();
        for (var pages = 0; pages < MaxPagesPerList && runs.Count < pageSize; pages++)
        {
            var filter = new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = pageSize - runs.Count, ContinuationToken = token };
            Page<OrchestrationMetadata>? page = null;
            await foreach (var first in _client.GetAllInstancesAsync(filter).AsPages(token, pageSize - runs.Count).ConfigureAwait(false))
            {
                page = first;
                break;
            }

            if (page is null)
            {
                token = null;
                break;
            }

            foreach (var instance in page.Values)
            {
                if (instance.InstanceId.Contains(RunInfoMapper.ChildSeparator, StringComparison.Ordinal) || instance.InstanceId.StartsWith('@'))
                {
                    continue;
                }

                var run = RunInfoMapper.ToRunInfo(ToSnapshot(instance), includeOutputs: false);
                if ((query.WorkflowId is { } workflowId && run.WorkflowId != workflowId) || (query.Status is { } status && run.Status != status))
                {
                    continue;
                }

                runs.Add(run);
            }

            token = page.ContinuationToken;
            if (string.IsNullOrEmpty(token))
            {
                token = null;
                break;
            }
        }

        return new RunPage([.. runs.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)], token);
    }

    internal static InstanceSnapshot ToSnapshot(OrchestrationMetadata instance) => new(
        instance.InstanceId,
        instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Pending => InstanceState.Pending,
            OrchestrationRuntimeStatus.Completed => InstanceState.Completed,
            OrchestrationRuntimeStatus.Failed => InstanceState.Failed,
#pragma warning disable CS0618 // Canceled is obsolete in the SDK but a backend may still report it.
            OrchestrationRuntimeStatus.Terminated or OrchestrationRuntimeStatus.Canceled => InstanceState.Terminated,
#pragma warning restore CS0618
            OrchestrationRuntimeStatus.Suspended => InstanceState.Suspended,
            _ => InstanceState.Running,
        },
        instance.SerializedInput,
        instance.SerializedOutput,
        instance.SerializedCustomStatus,
        instance.CreatedAt,
        instance.LastUpdatedAt,
        instance.FailureDetails?.ErrorType,
        instance.FailureDetails?.ErrorMessage);

    private async Task<string> StartAsync(RunInput input, string? runId)
    {
        if (runId is not null)
        {
            RunRequests.ValidateRunId(runId);
            var existing = await _client.GetInstanceAsync(runId, getInputsAndOutputs: true).ConfigureAwait(false);
            if (existing is not null)
            {
                RunRequests.EnsureSameRun(runId, RunInfoMapper.ReadInput(existing.SerializedInput), input);
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
            await _client.ScheduleNewOrchestrationInstanceAsync(
                WorkflowOrchestrator.Name,
                input,
                new StartOrchestrationOptions(id).WithDedupeStatuses(AnyStatus)).ConfigureAwait(false);
        }
        catch (Exception) when (runId is not null)
        {
            // Another caller may have started the same run id at the same moment: that is the idempotent case.
            var existing = await _client.GetInstanceAsync(id, getInputsAndOutputs: true).ConfigureAwait(false);
            if (existing is null)
            {
                throw;
            }

            RunRequests.EnsureSameRun(id, RunInfoMapper.ReadInput(existing.SerializedInput), input);
        }

        return id;
    }

    private Task EnsureGateAsync(string workflowId) => ConcurrencyGate.EnsureRunningAsync(
        workflowId,
        async id => await _client.GetInstanceAsync(id, getInputsAndOutputs: false).ConfigureAwait(false) is { } gate ? ToSnapshot(gate).State : null,
        async (id, input) =>
        {
            try
            {
                await _client.ScheduleNewOrchestrationInstanceAsync(
                    WorkflowOrchestrator.Name,
                    input,
                    new StartOrchestrationOptions(id).WithDedupeStatuses(OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Another instance of the app may have started it first; anything else is a real failure.
                var gate = await _client.GetInstanceAsync(id, getInputsAndOutputs: false).ConfigureAwait(false);
                if (gate is not { RuntimeStatus: OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended })
                {
                    throw;
                }
            }
        });

    private Task<OrchestrationMetadata?> GetInstanceAsync(string runId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        return _client.GetInstanceAsync(runId, getInputsAndOutputs: true);
    }
}
