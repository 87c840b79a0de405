using Azure;
using Cronflow.Hosting;
using DurableTask.Core;

namespace Cronflow.Benchmarks.Harness;

/// <summary>
/// Fails every <c>n</c>-th orchestration commit before anything is written, as a storage request that timed out or
/// was refused (HTTP 503) would (<c>--fail-commit-every N</c>). The dispatcher abandons the work item and the backend
/// hands its messages out again; what the rest of the host does meanwhile is what the experiment looks at.
/// </summary>
internal sealed class FaultInjectingOrchestrationService(IOrchestrationService inner, int every) : DelegatingOrchestrationService(inner)
{
    private long _commits;

    public override Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        if (Interlocked.Increment(ref _commits) % every == 0)
        {
            throw new RequestFailedException(503, "Injected fault: the server is busy.", "ServerBusy", innerException: null);
        }

        return base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
    }
}
