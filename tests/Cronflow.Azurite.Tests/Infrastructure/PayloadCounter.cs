using System.Text;
using Cronflow.Hosting;
using DurableTask.Core;
using DurableTask.Core.History;

namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>
/// Delegates to the worker's orchestration service and counts, for one run and the sub-orchestrations under it
/// (<c>{run}~…</c>), the bytes its committed episodes send out: the inputs of the activities they schedule and of the
/// sub-orchestrations they start. Also counts the results the activities send back (the steps' outputs).
/// </summary>
internal sealed class PayloadCounter(IOrchestrationService inner, string runId) : DelegatingOrchestrationService(inner)
{
    private long _inputBytes;
    private long _outputBytes;
    private int _activities;
    private int _subOrchestrations;

    public long InputBytes => Interlocked.Read(ref _inputBytes);

    public long OutputBytes => Interlocked.Read(ref _outputBytes);

    public int Activities => Volatile.Read(ref _activities);

    public int SubOrchestrations => Volatile.Read(ref _subOrchestrations);

    public double Ratio => (double)InputBytes / OutputBytes;

    public override Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        if (Counts(workItem.InstanceId))
        {
            foreach (var message in outboundMessages)
            {
                if (message.Event is TaskScheduledEvent scheduled)
                {
                    Interlocked.Increment(ref _activities);
                    Interlocked.Add(ref _inputBytes, Bytes(scheduled.Input));
                }
            }

            foreach (var message in orchestratorMessages)
            {
                if (message.Event is ExecutionStartedEvent { ParentInstance: not null } started)
                {
                    Interlocked.Increment(ref _subOrchestrations);
                    Interlocked.Add(ref _inputBytes, Bytes(started.Input));
                }
            }
        }

        return base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
    }

    public override Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        if (Counts(responseMessage.OrchestrationInstance?.InstanceId) && responseMessage.Event is TaskCompletedEvent completed)
        {
            Interlocked.Add(ref _outputBytes, Bytes(completed.Result));
        }

        return base.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
    }

    public override string ToString() =>
        $"{Activities} activities and {SubOrchestrations} sub-orchestrations were sent {InputBytes:N0} B; the activities' results are {OutputBytes:N0} B; ratio {Ratio:F2}";

    private bool Counts(string? instanceId) =>
        instanceId is not null && (instanceId == runId || instanceId.StartsWith(runId + "~", StringComparison.Ordinal));

    private static long Bytes(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);
}
