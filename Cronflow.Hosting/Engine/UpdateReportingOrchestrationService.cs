using DurableTask.Core;

namespace Cronflow.Hosting;

/// <summary>
/// Reports each committed orchestration episode that may have finished its run to <see cref="InstanceUpdates"/>, so
/// that a client waiting for the run in this process reads it again at once instead of polling; where this process
/// sees every change (in memory), with the state committed, which the client then need not read.
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
        if (MayHaveFinished(orchestrationState?.OrchestrationStatus ?? newOrchestrationRuntimeState?.OrchestrationStatus, orchestrationState?.Status ?? newOrchestrationRuntimeState?.Status))
        {
            // An engine that owns the instance's store committed exactly what a read would now return: hand it over.
            if (updates.SeesEveryChange && orchestrationState is not null)
            {
                updates.Changed(workItem.InstanceId, orchestrationState, EmbeddedCronflowClient.ToSnapshot);
            }
            else
            {
                updates.Changed(workItem.InstanceId);
            }
        }
    }

    /// <summary>
    /// Whether a run whose orchestration now has this status and custom status may be finished
    /// (<see cref="RunInfoMapper.MayBeFinished"/>). Episodes that only record progress wake nobody; an unknown status
    /// wakes the waiters (an extra wake costs one read).
    /// </summary>
    internal static bool MayHaveFinished(OrchestrationStatus? status, string? customStatus) => RunInfoMapper.MayBeFinished(
        status is null or OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled,
        customStatus);
}
