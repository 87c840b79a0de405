using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Cronflow.Functions.Engine;

/// <summary>
/// <see cref="ICronflowClient"/> over the Durable Functions client (<see cref="DurableTaskClient"/>): the same checks,
/// inputs and run mapping as the embedded client (<see cref="DurableCronflowClient"/>), through the Functions host's task hub.
/// </summary>
internal sealed class FunctionsCronflowClient : DurableCronflowClient
{
    /// <summary>An existing instance with any of these states makes a start request fail instead of replacing it.</summary>
    private static readonly OrchestrationRuntimeStatus[] AnyStatus =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated,
    ];

    private static readonly OrchestrationRuntimeStatus[] ActiveStatus =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended,
    ];

    private readonly DurableTaskClient _client;

    // store: the app's step output store, whose outputs of a run are deleted when the run is purged.
    public FunctionsCronflowClient(DurableTaskClient client, WorkflowRegistry registry, CronflowOptions options, RunCancellations cancellations, TimeProvider time, IStepOutputStore? store = null)
        : base(registry, options, cancellations, time, maxPollDelay: TimeSpan.FromSeconds(1), store: store)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    protected override async Task<InstanceSnapshot?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        return await _client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) is { } instance ? ToSnapshot(instance) : null;
    }

    protected override async Task<bool> TryStartAsync(string instanceId, RunInput input, bool onlyIfAbsent, CancellationToken cancellationToken)
    {
        var statuses = onlyIfAbsent ? AnyStatus : ActiveStatus;
        try
        {
            await _client.ScheduleNewOrchestrationInstanceAsync(
                WorkflowOrchestrator.Name,
                input,
                new StartOrchestrationOptions(instanceId).WithDedupeStatuses(statuses),
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The dedupe failure's type depends on the backend: an instance that is now there in one of the given
            // states means another caller started it first; anything else is a real failure.
            var existing = await _client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
            if (existing is null || !statuses.Contains(existing.RuntimeStatus))
            {
                throw;
            }

            return false;
        }
    }

    /// <summary>The Durable client's completion wait; a backend without one fails the task, and the wait goes on polling.</summary>
    protected override async Task? WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken) =>
        await _client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);

    protected override Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) =>
        _client.TerminateInstanceAsync(instanceId, new TerminateInstanceOptions(reason, Recursive: true), cancellationToken);

    protected override Task SendEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken) =>
        _client.RaiseEventAsync(instanceId, eventName, payload, cancellationToken);

    protected override async Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = pageSize, ContinuationToken = continuationToken };
        await foreach (var page in _client.GetAllInstancesAsync(filter).AsPages(continuationToken, pageSize).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            return ([.. page.Values.Select(ToSnapshot)], page.ContinuationToken);
        }

        return ([], null);
    }

    protected override async Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryByPrefixAsync(string prefix, bool activeOnly, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = 100, ContinuationToken = continuationToken, InstanceIdPrefix = prefix, Statuses = activeOnly ? ActiveStatus : null };
        await foreach (var page in _client.GetAllInstancesAsync(filter).AsPages(continuationToken, 100).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            return ([.. page.Values.Select(ToSnapshot)], page.ContinuationToken);
        }

        return ([], null);
    }

    protected override async Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken) =>
        (await _client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken).ConfigureAwait(false)).PurgedInstanceCount > 0;

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
}
