using DurableTask.Core;

namespace Cronflow.Hosting;

/// <summary>
/// Delegates to an orchestration service but reports its own concurrency limits. The in-memory service reports
/// the processor count, which would run an I/O-bound fan-out of 50 branches two at a time on a 2-core machine.
/// </summary>
internal sealed class SlotLimitedOrchestrationService(IOrchestrationService inner, int maxOrchestrations, int maxActivities) : DelegatingOrchestrationService(inner)
{
    public override int MaxConcurrentTaskOrchestrationWorkItems => maxOrchestrations;

    public override int MaxConcurrentTaskActivityWorkItems => maxActivities;

    public override Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        // A work item for an instance that does not exist (an event raised to an unknown id) has no runtime state to
        // save; the in-memory service would throw and retry it every second forever. Drop it instead.
        if (string.IsNullOrEmpty(newOrchestrationRuntimeState.OrchestrationInstance?.InstanceId))
        {
            return Task.CompletedTask;
        }

        return base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
    }
}
