using DurableTask.Core;

namespace Cronflow.Hosting;

/// <summary>
/// Delivers the messages an episode sends to other instances before the in-memory service saves the episode, so that
/// the service never takes two instances' locks at once.
/// </summary>
/// <remarks>
/// <para>
/// <c>InMemoryOrchestrationService</c> saves an episode under a lock on its instance and, still holding that lock, adds
/// each message the episode sends to the receiving instance under the receiver's lock. Two episodes committed at the
/// same moment that send to each other take the two locks in opposite orders and deadlock: both dispatcher threads
/// hang, both instances stop for good, and every later message to them (a step's result, a timer) blocks its sender
/// too. A parent and its child do exactly that when both decide at once: a nested loop's sub-orchestration reports
/// the timeout it decided while its parent's timer for the same deadline abandons it; a subflow or for-each chunk
/// reports a decided result while its parent abandons it.
/// </para>
/// <para>
/// This wrapper sends the messages for other instances itself, through the service's client, before the save (the order
/// the service used, messages first), with no lock held; the save gets only the messages the instance sends to itself
/// (its timers, its next execution, events to itself), which take no other lock.
/// </para>
/// </remarks>
internal sealed class CrossInstanceMessageRelay(IOrchestrationService inner, IOrchestrationServiceClient client) : DelegatingOrchestrationService(inner)
{
    public override Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        // Most episodes send nothing to an instance (only steps and timers): they go straight through.
        orchestratorMessages.Count == 0
            ? base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState)
            : RelayThenCompleteAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);

    private async Task RelayThenCompleteAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        var own = new List<TaskMessage>(orchestratorMessages.Count);
        var others = new List<TaskMessage>(orchestratorMessages.Count);
        foreach (var message in orchestratorMessages)
        {
            // The in-memory service names instances case-insensitively.
            (string.Equals(message.OrchestrationInstance?.InstanceId, workItem.InstanceId, StringComparison.OrdinalIgnoreCase) ? own : others).Add(message);
        }

        if (others.Count > 0)
        {
            await client.SendTaskOrchestrationMessageBatchAsync([.. others]).ConfigureAwait(false);
        }

        await base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, own, timerMessages, continuedAsNewMessage, orchestrationState).ConfigureAwait(false);
    }
}
