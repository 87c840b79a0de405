using System.Collections.Concurrent;
using DurableTask.Core;
using Cronflow.Hosting;
using DurableTask.Core.History;

namespace Cronflow.Tests.Hosting;

/// <summary>
/// Delegates to an orchestration service, but delivers every step result and every fired timer twice (as a crash
/// can: the message delivered again, or a second result of the step body run again), and records the history events
/// each completed episode saves, per instance.
/// </summary>
internal sealed class RepeatingOrchestrationService(IOrchestrationService inner) : DelegatingOrchestrationService(inner)
{
    private readonly ConcurrentDictionary<string, List<HistoryEvent>> _saved = new();
    private int _repeated;

    /// <summary>How many step results and fired timers were delivered a second time.</summary>
    public int Repeated => Volatile.Read(ref _repeated);

    /// <summary>The events saved for <paramref name="instanceId"/>, in order: what the backend stored as its history.</summary>
    public IReadOnlyList<HistoryEvent> SavedHistory(string instanceId)
    {
        if (!_saved.TryGetValue(instanceId, out var events))
        {
            return [];
        }

        lock (events)
        {
            return [.. events];
        }
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
        // The in-memory backend, like Azure Storage, appends the episode's NewEvents to the stored history.
        if (newOrchestrationRuntimeState.OrchestrationInstance?.InstanceId is { Length: > 0 } instanceId)
        {
            var events = _saved.GetOrAdd(instanceId, _ => []);
            lock (events)
            {
                events.AddRange(newOrchestrationRuntimeState.NewEvents);
            }
        }

        var timers = new List<TaskMessage>(timerMessages.Count * 2);
        foreach (var timer in timerMessages)
        {
            timers.Add(timer);
            if (timer.Event is TimerFiredEvent fired)
            {
                timers.Add(new TaskMessage
                {
                    OrchestrationInstance = timer.OrchestrationInstance,
                    Event = new TimerFiredEvent(-1, fired.FireAt) { TimerId = fired.TimerId },
                });
                Interlocked.Increment(ref _repeated);
            }
        }

        return base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timers, continuedAsNewMessage, orchestrationState);
    }

    public override async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        await base.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
        if (responseMessage.Event is TaskCompletedEvent completed)
        {
            // A second result for the same scheduled task, as from the step body run again.
            var again = new TaskMessage
            {
                OrchestrationInstance = responseMessage.OrchestrationInstance,
                Event = new TaskCompletedEvent(-1, completed.TaskScheduledId, completed.Result),
            };
            await base.CompleteTaskActivityWorkItemAsync(workItem, again);
            Interlocked.Increment(ref _repeated);
        }
    }

}
