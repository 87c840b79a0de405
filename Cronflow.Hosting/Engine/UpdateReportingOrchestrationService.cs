using DurableTask.Core;

namespace Cronflow.Hosting;

/// <summary>
/// Reports each orchestration episode the engine has committed to <see cref="InstanceUpdates"/>, so that a client
/// waiting for a run in this process reads it again at once instead of polling.
/// </summary>
internal sealed class UpdateReportingOrchestrationService(IOrchestrationService inner, InstanceUpdates updates) : DelegatingOrchestrationService(inner)
{
    public override async Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        await base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState).ConfigureAwait(false);
        updates.Changed(workItem.InstanceId);
    }
}
