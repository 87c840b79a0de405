using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Middleware;
using Microsoft.Extensions.Logging;

namespace Cronflow.Hosting;

/// <summary>
/// Drops a repeated result of a step, sub-orchestration or timer before the orchestration executes, so it never
/// reaches the stored history.
/// </summary>
/// <remarks>
/// <para>
/// After a host is killed, the Azure Storage backend can deliver a result twice: a completion message whose history
/// was saved but whose queue message was not deleted comes back, or an activity that ran again sends a second
/// completion for the same scheduled task. DurableTask.Core only recognises repeated <c>TaskCompleted</c> events by
/// their own event id, which is -1 for completions, so both would be saved. Replay ignores them (the task is no
/// longer open), but the history would record a step's completion twice.
/// </para>
/// <para>
/// This runs as orchestration dispatcher middleware: the dispatcher has already turned the work item's messages into
/// the runtime state's <see cref="OrchestrationRuntimeState.NewEvents"/> (also appended to
/// <see cref="OrchestrationRuntimeState.Events"/>), and has not yet run the orchestration. A result event is removed
/// from both lists when its scheduled id already has a result earlier in the history or earlier in the same batch.
/// The executor replays <c>PastEvents</c> then <c>NewEvents</c>, so it never sees the removed events; the work item's
/// messages are left alone, so the dispatcher still completes the work item and the backend deletes the queue
/// messages; and the backends write only <c>NewEvents</c> to the history (Azure Storage numbers the rows from
/// <c>Events.Count - NewEvents.Count</c>, which removing from both lists keeps right).
/// </para>
/// <para>
/// Results already stored twice (before this filter, or written by another dispatcher) stay as they are: they are in
/// <c>PastEvents</c> and the stored rows, which are not rewritten.
/// </para>
/// </remarks>
internal static partial class DuplicateResultFilter
{
    /// <summary>The logger category of the dropped-result messages.</summary>
    public const string LoggerCategory = Log.EngineCategory;

    private enum ResultKind
    {
        Task,
        SubOrchestration,
        Timer,
    }

    /// <summary>Adds the filter to <paramref name="worker"/>'s orchestration dispatch pipeline.</summary>
    public static void Register(TaskHubWorker worker, ILogger logger) =>
        worker.AddOrchestrationDispatcherMiddleware((context, next) => InvokeAsync(context, next, logger));

    /// <summary>The middleware: filters the runtime state of <paramref name="context"/>, then runs the rest of the pipeline.</summary>
    public static Task InvokeAsync(DispatchMiddlewareContext context, Func<Task> next, ILogger logger)
    {
        if (context.GetProperty<OrchestrationRuntimeState>() is { } state)
        {
            var dropped = RemoveRepeatedResults(state);
            if (dropped.Count > 0)
            {
                var instanceId = state.OrchestrationInstance?.InstanceId ?? "(unknown)";
                foreach (var repeated in dropped)
                {
                    if (TryGetKey(repeated, out _, out var scheduledId))
                    {
                        Log.RepeatedResultDropped(logger, repeated.EventType.ToString(), scheduledId, instanceId);
                    }
                }
            }
        }

        return next();
    }

    /// <summary>
    /// Removes from <paramref name="state"/>'s <see cref="OrchestrationRuntimeState.NewEvents"/> and
    /// <see cref="OrchestrationRuntimeState.Events"/> every result event whose scheduled id already has a result
    /// earlier in the history or earlier among the new events, and returns the removed events in order.
    /// </summary>
    /// <remarks>
    /// Results are <c>TaskCompleted</c>/<c>TaskFailed</c> (keyed by <c>TaskScheduledId</c>),
    /// <c>SubOrchestrationInstanceCompleted</c>/<c>Failed</c> (by <c>TaskScheduledId</c>) and <c>TimerFired</c> (by
    /// <c>TimerId</c>); the first result of an id wins (a <c>TaskFailed</c> after a <c>TaskCompleted</c> of the same
    /// task is removed, and the other way round). Other events (raised events among them)
    /// and results with a negative id (the dispatcher's internal timers all use -100) are never removed. Events that
    /// are not new (<c>PastEvents</c>, or events of an earlier batch of an extended session) are never removed.
    /// </remarks>
    public static IReadOnlyList<HistoryEvent> RemoveRepeatedResults(OrchestrationRuntimeState state)
    {
        ArgumentNullException.ThrowIfNull(state);

        // This runs before every episode: the usual case (each result new) allocates nothing. The new events are the
        // tail of Events (the runtime state appends to both lists at once); everything before them is earlier history,
        // which in an extended session includes the previous batches' events that never moved to PastEvents.
        var newEvents = state.NewEvents;
        var events = state.Events;
        IList<HistoryEvent> earlier = events;
        var earlierCount = events.Count - newEvents.Count;
        if (earlierCount < 0 || !IsTail(events, newEvents, earlierCount))
        {
            // Any other shape: the earlier history is every event that is not new.
            var incoming = new HashSet<HistoryEvent>(newEvents, ReferenceEqualityComparer.Instance);
            earlier = [.. events.Where(e => !incoming.Contains(e))];
            earlierCount = earlier.Count;
        }

        List<HistoryEvent>? dropped = null;
        for (var i = 0; i < newEvents.Count; i++)
        {
            var candidate = newEvents[i];
            if (TryGetKey(candidate, out var kind, out var id) && (HasResult(earlier, earlierCount, kind, id) || HasResult(newEvents, i, kind, id)))
            {
                (dropped ??= []).Add(candidate);
            }
        }

        if (dropped is null)
        {
            return [];
        }

        foreach (var repeated in dropped)
        {
            RemoveSame(newEvents, repeated);
            RemoveSame(events, repeated);
        }

        return dropped;
    }

    /// <summary>Whether the first <paramref name="count"/> of <paramref name="events"/> hold a result of <paramref name="kind"/> for <paramref name="id"/>.</summary>
    private static bool HasResult(IList<HistoryEvent> events, int count, ResultKind kind, int id)
    {
        for (var i = 0; i < count; i++)
        {
            if (TryGetKey(events[i], out var otherKind, out var otherId) && otherKind == kind && otherId == id)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTail(IList<HistoryEvent> events, IList<HistoryEvent> newEvents, int offset)
    {
        for (var i = 0; i < newEvents.Count; i++)
        {
            if (!ReferenceEquals(events[offset + i], newEvents[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The kind and scheduled id of a result event with a non-negative id; <see langword="false"/> for any other event.</summary>
    private static bool TryGetKey(HistoryEvent historyEvent, out ResultKind kind, out int scheduledId)
    {
        (kind, scheduledId) = historyEvent switch
        {
            TaskCompletedEvent e => (ResultKind.Task, e.TaskScheduledId),
            TaskFailedEvent e => (ResultKind.Task, e.TaskScheduledId),
            SubOrchestrationInstanceCompletedEvent e => (ResultKind.SubOrchestration, e.TaskScheduledId),
            SubOrchestrationInstanceFailedEvent e => (ResultKind.SubOrchestration, e.TaskScheduledId),
            TimerFiredEvent e => (ResultKind.Timer, e.TimerId),
            _ => (ResultKind.Task, -1),
        };
        return scheduledId >= 0;
    }

    /// <summary>Removes <paramref name="historyEvent"/> itself (not an equal event) from <paramref name="events"/>, searching from the end where new events are.</summary>
    private static void RemoveSame(IList<HistoryEvent> events, HistoryEvent historyEvent)
    {
        for (var i = events.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(events[i], historyEvent))
            {
                events.RemoveAt(i);
                return;
            }
        }
    }
}
