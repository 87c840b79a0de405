using DurableTask.Core.Query;
using DurableTask.Core;
using DurableTask.Core.Exceptions;

namespace Cronflow.Hosting;

/// <summary><see cref="ICronflowClient"/> over DurableTask.Core's <see cref="TaskHubClient"/>, for the embedded engine.</summary>
internal sealed class EmbeddedCronflowClient : DurableCronflowClient
{
    private static readonly OrchestrationStatus[] AnyStatus =
    [
        OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended,
        OrchestrationStatus.Completed, OrchestrationStatus.Failed, OrchestrationStatus.Canceled, OrchestrationStatus.Terminated,
    ];

    private static readonly OrchestrationStatus[] ActiveStatus =
    [
        OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended,
    ];

    private readonly TaskHubClient _client;
    private readonly IOrchestrationServiceQueryClient _query;
    private readonly IOrchestrationServicePurgeClient? _purge;

    // updates: the engine's commits in this process, which end waits at once (Backend.Updates); store: the host's step
    // output store, whose outputs of a run are deleted when the run is purged.
    public EmbeddedCronflowClient(IOrchestrationServiceClient service, WorkflowRegistry registry, CronflowOptions options, RunCancellations cancellations, InstanceUpdates? updates = null, IStepOutputStore? store = null)
        : base(registry, options, cancellations, TimeProvider.System, maxPollDelay: TimeSpan.FromMilliseconds(50), updates, store)
    {
        _client = new TaskHubClient(service, StjDataConverter.Instance);
        _query = service as IOrchestrationServiceQueryClient
            ?? throw new ArgumentException("The orchestration service cannot list instances.", nameof(service));
        _purge = service as IOrchestrationServicePurgeClient;
    }

    // TaskHubClient's calls take no token (only its wait does): a cancelled token ends the caller's wait at once, while
    // an operation the backend has already accepted may still take effect.
    protected override async Task<InstanceSnapshot?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken) =>
        await _client.GetOrchestrationStateAsync(instanceId).WaitAsync(cancellationToken).ConfigureAwait(false) is { } state ? ToSnapshot(state) : null;

    protected override async Task<bool> TryStartAsync(string instanceId, RunInput input, bool onlyIfAbsent, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _client.CreateOrchestrationInstanceAsync(
                WorkflowOrchestrator.Name,
                string.Empty,
                instanceId,
                input,
                tags: null,
                onlyIfAbsent ? AnyStatus : ActiveStatus).WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return false;
        }
    }

    protected override Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _client.TerminateInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason).WaitAsync(cancellationToken);
    }

    protected override Task SendEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = instanceId }, eventName, payload!).WaitAsync(cancellationToken);
    }

    protected override async Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var result = await _query.GetOrchestrationWithQueryAsync(
            new OrchestrationQuery { PageSize = pageSize, ContinuationToken = continuationToken, FetchInputsAndOutputs = true },
            cancellationToken).ConfigureAwait(false);
        return ([.. result.OrchestrationState.Select(ToSnapshot)], result.ContinuationToken);
    }

    protected override async Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryByPrefixAsync(string prefix, bool activeOnly, string? continuationToken, CancellationToken cancellationToken)
    {
        var result = await _query.GetOrchestrationWithQueryAsync(
            new OrchestrationQuery { PageSize = 100, ContinuationToken = continuationToken, FetchInputsAndOutputs = true, InstanceIdPrefix = prefix, RuntimeStatus = activeOnly ? ActiveStatus : null },
            cancellationToken).ConfigureAwait(false);
        return ([.. result.OrchestrationState.Select(ToSnapshot)], result.ContinuationToken);
    }

    protected override async Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        var purge = _purge ?? throw new NotSupportedException("This orchestration service cannot purge instances.");
        return (await purge.PurgeInstanceStateAsync(instanceId).WaitAsync(cancellationToken).ConfigureAwait(false)).DeletedInstanceCount > 0;
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
