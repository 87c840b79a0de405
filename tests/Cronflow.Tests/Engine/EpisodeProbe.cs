using Cronflow.Hosting;
using DurableTask.Core;
using DurableTask.Core.History;

namespace Cronflow.Tests.Engine;

/// <summary>
/// Delegates to an orchestration service and records what each committed episode saved: per instance the events it
/// added and the largest history an execution reached, and the inputs of the activities it scheduled. Tests wait on
/// these facts instead of on time.
/// </summary>
internal sealed class EpisodeProbe(IOrchestrationService inner) : DelegatingOrchestrationService(inner)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, int> _largestHistory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<HistoryEvent>> _events = new(StringComparer.Ordinal);
    private readonly List<string> _scheduledInputs = [];
    private long _childInputBytes;
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];

    /// <summary>The largest history (events of one execution) of each instance whose id starts with <paramref name="prefix"/>.</summary>
    public IReadOnlyDictionary<string, int> LargestHistories(string prefix)
    {
        lock (_lock)
        {
            return _largestHistory.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>The events saved for one instance, every execution included, in order.</summary>
    public IReadOnlyList<HistoryEvent> Events(string instanceId)
    {
        lock (_lock)
        {
            return _events.TryGetValue(instanceId, out var events) ? [.. events] : [];
        }
    }

    /// <summary>Whether an episode of <paramref name="instanceId"/> that handled an event of type <typeparamref name="T"/> was committed.</summary>
    public bool Handled<T>(string instanceId)
        where T : HistoryEvent
    {
        lock (_lock)
        {
            return _events.TryGetValue(instanceId, out var events) && events.OfType<T>().Any();
        }
    }

    /// <summary>The results of the completed executions of instances whose id contains <paramref name="fragment"/>.</summary>
    public IReadOnlyList<string> Results(string fragment)
    {
        lock (_lock)
        {
            return [.. _events.Where(p => p.Key.Contains(fragment, StringComparison.Ordinal))
                .SelectMany(p => p.Value.OfType<ExecutionCompletedEvent>())
                .Select(e => e.Result ?? "")];
        }
    }

    /// <summary>How many committed activity calls have an input containing <paramref name="fragment"/>.</summary>
    public int Scheduled(string fragment)
    {
        lock (_lock)
        {
            return _scheduledInputs.Count(i => i.Contains(fragment, StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Bytes sent to activities and to sub-orchestrations (their inputs, UTF-8), over every instance of the engine:
    /// what payload growth (P7) counts.
    /// </summary>
    public long SentBytes
    {
        get
        {
            lock (_lock)
            {
                return _childInputBytes + _scheduledInputs.Sum(i => (long)System.Text.Encoding.UTF8.GetByteCount(i));
            }
        }
    }

    /// <summary>Completes once <paramref name="condition"/> holds after a commit (or at once if it holds already).</summary>
    public Task WhenAsync(Func<bool> condition)
    {
        lock (_lock)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
            return done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    public override async Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        await base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
        var instanceId = workItem.InstanceId;
        lock (_lock)
        {
            // On continue-as-new the work item holds the ending execution and the new state the next one.
            var size = Math.Max(workItem.OrchestrationRuntimeState?.Events.Count ?? 0, newOrchestrationRuntimeState.Events.Count);
            _largestHistory[instanceId] = Math.Max(_largestHistory.GetValueOrDefault(instanceId), size);
            if (!_events.TryGetValue(instanceId, out var events))
            {
                _events[instanceId] = events = [];
            }

            events.AddRange(workItem.OrchestrationRuntimeState?.NewEvents ?? []);
            if (!ReferenceEquals(workItem.OrchestrationRuntimeState, newOrchestrationRuntimeState))
            {
                events.AddRange(newOrchestrationRuntimeState.NewEvents);
            }

            foreach (var message in outboundMessages)
            {
                if (message.Event is TaskScheduledEvent scheduled)
                {
                    _scheduledInputs.Add(scheduled.Input ?? "");
                }
            }

            foreach (var message in orchestratorMessages)
            {
                if (message.Event is ExecutionStartedEvent started)
                {
                    _childInputBytes += System.Text.Encoding.UTF8.GetByteCount(started.Input ?? "");
                }
            }

            CheckWaiters();
        }
    }

    /// <summary>Evaluates the waiting conditions again, for conditions that also read state outside the engine.</summary>
    public void Recheck()
    {
        lock (_lock)
        {
            CheckWaiters();
        }
    }

    private void CheckWaiters()
    {
        foreach (var waiter in _waiters.ToList())
        {
            if (waiter.Condition())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }
}
