using Azure;
using Cronflow.Hosting;
using DurableTask.Core;

namespace Cronflow.Benchmarks.Harness;

/// <summary>
/// Fails every <c>n</c>-th orchestration commit before anything is written, as a storage request that timed out or
/// was refused (HTTP 503) would (<c>--fail-commit-every N</c>). The dispatcher abandons the work item and the backend
/// hands its messages out again; what the rest of the host does meanwhile is what the experiment looks at. It can also
/// hold one step fetch for <see cref="HangTime"/> before it reaches the backend (<c>--hang-step-fetch N</c>), as a
/// request to the work-item queue that gets no answer until the storage SDK's network timeout would.
/// </summary>
internal sealed class FaultInjectingOrchestrationService(IOrchestrationService inner, int every, int hangStepFetch = 0) : DelegatingOrchestrationService(inner)
{
    /// <summary>How long the held step fetch waits: the storage SDK's default network timeout for one try.</summary>
    public static readonly TimeSpan HangTime = TimeSpan.FromSeconds(100);

    private long _commits;
    private long _stepFetches;

    public override async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _stepFetches) == hangStepFetch)
        {
            await Task.Delay(HangTime, cancellationToken).ConfigureAwait(false);
        }

        return await base.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken).ConfigureAwait(false);
    }

    public override Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        if (every > 0 && Interlocked.Increment(ref _commits) % every == 0)
        {
            throw new RequestFailedException(503, "Injected fault: the server is busy.", "ServerBusy", innerException: null);
        }

        return base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
    }
}
