using Cronflow.Hosting;
using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Middleware;
using Microsoft.Extensions.Logging;

namespace Cronflow.Tests.Hosting;

public sealed class DuplicateResultFilterTests
{
    [Fact]
    public void RemoveRepeatedResults_TaskCompletedAlreadyInPastEvents_RemovedFromNewEventsAndEvents()
    {
        var state = History(Scheduled(0), Completed(0));
        var repeated = Completed(0);
        var started = Arrive(state, repeated);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Same(repeated, Assert.Single(dropped));
        Assert.Equal([started], state.NewEvents);
        Assert.DoesNotContain(repeated, state.Events);
        AssertEventsArePastThenNew(state);
    }

    [Fact]
    public void RemoveRepeatedResults_NewEventsNotTheTailOfEvents_RepeatedResultStillRemoved()
    {
        var state = History(Scheduled(0), Completed(0));
        var repeated = Completed(0);
        var fresh = Completed(1);

        // New events that are not also the last of Events (no runtime state builds this today): the general path.
        state.NewEvents.Add(repeated);
        state.NewEvents.Add(fresh);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Same(repeated, Assert.Single(dropped));
        Assert.Equal([fresh], state.NewEvents);
    }

    [Fact]
    public void RemoveRepeatedResults_SameCompletionTwiceInOneBatch_KeepsTheFirst()
    {
        var state = History(Scheduled(0));
        var first = Completed(0, "1");
        var second = Completed(0, "2");
        Arrive(state, first, second);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Same(second, Assert.Single(dropped));
        Assert.Contains(first, state.NewEvents);
        Assert.DoesNotContain(second, state.NewEvents);
        Assert.Single(state.Events, e => e is TaskCompletedEvent);
        AssertEventsArePastThenNew(state);
    }

    [Fact]
    public void RemoveRepeatedResults_TaskFailedAfterTaskCompletedOfSameTask_FailureRemoved()
    {
        var state = History(Scheduled(0), Completed(0));
        var failed = Failed(0);
        Arrive(state, failed);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Same(failed, Assert.Single(dropped));
        Assert.DoesNotContain(state.Events, e => e is TaskFailedEvent);
        AssertEventsArePastThenNew(state);
    }

    [Fact]
    public void RemoveRepeatedResults_TaskCompletedAfterTaskFailedInSameBatch_CompletionRemoved()
    {
        var state = History(Scheduled(0));
        var failed = Failed(0);
        var completed = Completed(0);
        Arrive(state, failed, completed);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Same(completed, Assert.Single(dropped));
        Assert.Contains(failed, state.NewEvents);
        AssertEventsArePastThenNew(state);
    }

    [Fact]
    public void RemoveRepeatedResults_DistinctScheduledIds_NothingRemoved()
    {
        var state = History(Scheduled(0), Scheduled(1), Scheduled(2), Completed(0));
        Arrive(state, Completed(1), Failed(2));
        var before = state.Events.ToList();

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Empty(dropped);
        Assert.Equal(before, state.Events);
        Assert.Equal(3, state.NewEvents.Count);
    }

    [Fact]
    public void RemoveRepeatedResults_SameEventRaisedTwice_NeverRemoved()
    {
        var state = History(Raised("approve"));
        Arrive(state, Raised("approve"), Raised("approve"));

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Empty(dropped);
        Assert.Equal(2, state.NewEvents.Count(e => e is EventRaisedEvent));
        Assert.Equal(3, state.Events.Count(e => e is EventRaisedEvent));
    }

    [Fact]
    public void RemoveRepeatedResults_TimerFiredAgain_RepeatRemoved()
    {
        var state = History(TimerCreated(0), TimerCreated(1), Fired(0));
        var again = Fired(0);
        var other = Fired(1);
        var inBatch = Fired(1);
        Arrive(state, again, other, inBatch);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Equal([again, inBatch], dropped);
        Assert.Contains(other, state.NewEvents);
        AssertEventsArePastThenNew(state);
    }

    [Fact]
    public void RemoveRepeatedResults_InternalTimersWithNegativeId_NeverRemoved()
    {
        // The dispatcher's timers that split large batches all have id -100.
        var state = History(TimerCreated(-100), Fired(-100), TimerCreated(-100));
        Arrive(state, Fired(-100));

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Empty(dropped);
        Assert.Equal(2, state.Events.Count(e => e is TimerFiredEvent));
    }

    [Fact]
    public void RemoveRepeatedResults_SubOrchestrationResultsRepeated_RepeatsRemoved()
    {
        var state = History(SubCreated(0), SubCreated(1), SubCompleted(0));
        var completedAgain = SubCompleted(0);
        var failedAfterCompleted = SubFailed(0);
        var first = SubFailed(1);
        var second = SubCompleted(1);
        Arrive(state, completedAgain, failedAfterCompleted, first, second);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Equal([completedAgain, failedAfterCompleted, second], dropped);
        Assert.Contains(first, state.NewEvents);
        AssertEventsArePastThenNew(state);
    }

    [Fact]
    public void RemoveRepeatedResults_TaskAndTimerWithSameId_BothKept()
    {
        var state = History(Scheduled(0), TimerCreated(1), Scheduled(2));
        Arrive(state, Completed(1), Fired(1), SubCompleted(1));

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Empty(dropped);
    }

    [Fact]
    public void RemoveRepeatedResults_DuplicateAlreadyInPastEvents_LeftInThePast()
    {
        // Stored twice before the filter existed: the stored rows are not rewritten.
        var state = History(Scheduled(0), Completed(0), Completed(0), Scheduled(1));
        Arrive(state, Completed(1));
        var pastCount = state.PastEvents.Count;

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Empty(dropped);
        Assert.Equal(pastCount, state.PastEvents.Count);
        Assert.Equal(2, state.PastEvents.Count(e => e is TaskCompletedEvent));
    }

    [Fact]
    public void RemoveRepeatedResults_ResultOfEarlierBatchOfExtendedSession_RepeatRemoved()
    {
        // In an extended session the previous batch's events stay in Events (not PastEvents) and NewEvents is cleared.
        var state = History(Scheduled(0));
        Arrive(state, Completed(0));
        state.NewEvents.Clear();
        var repeated = Completed(0);
        Arrive(state, repeated);

        var dropped = DuplicateResultFilter.RemoveRepeatedResults(state);

        Assert.Same(repeated, Assert.Single(dropped));
        Assert.Single(state.Events, e => e is TaskCompletedEvent);
    }

    [Fact]
    public void RemoveRepeatedResults_NoResultsInNewEvents_NothingRemoved()
    {
        var state = History(Scheduled(0), Completed(0));
        Arrive(state, Raised("go"));
        var before = state.Events.ToList();

        Assert.Empty(DuplicateResultFilter.RemoveRepeatedResults(state));
        Assert.Equal(before, state.Events);
    }

    [Fact]
    public async Task InvokeAsync_RepeatedCompletion_RemovedBeforeTheRestOfThePipelineAndLogged()
    {
        var state = History(Scheduled(0), Completed(0), Scheduled(1));
        var fresh = Completed(1);
        Arrive(state, Completed(0), fresh);
        var context = new DispatchMiddlewareContext();
        context.SetProperty(state);
        using var logs = new CapturingLoggerFactory();
        IReadOnlyList<HistoryEvent>? seenByNext = null;

        await DuplicateResultFilter.InvokeAsync(
            context,
            () =>
            {
                seenByNext = [.. state.NewEvents];
                return Task.CompletedTask;
            },
            logs.CreateLogger(DuplicateResultFilter.LoggerCategory));

        Assert.NotNull(seenByNext);
        Assert.Equal([fresh], seenByNext.OfType<TaskCompletedEvent>());
        var entry = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(DuplicateResultFilter.LoggerCategory, entry.Category);
        Assert.Contains("TaskCompleted", entry.Message, StringComparison.Ordinal);
        Assert.Contains("scheduled id 0", entry.Message, StringComparison.Ordinal);
        Assert.Contains("run-1", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ContextWithoutRuntimeState_RunsTheRestOfThePipeline()
    {
        var ran = false;
        using var logs = new CapturingLoggerFactory();

        await DuplicateResultFilter.InvokeAsync(
            new DispatchMiddlewareContext(),
            () =>
            {
                ran = true;
                return Task.CompletedTask;
            },
            logs.CreateLogger(DuplicateResultFilter.LoggerCategory));

        Assert.True(ran);
        Assert.Empty(logs.Entries);
    }

    /// <summary>A stored history: the run's start, then <paramref name="past"/> (all in PastEvents).</summary>
    private static OrchestrationRuntimeState History(params HistoryEvent[] past)
    {
        var start = new ExecutionStartedEvent(-1, "null")
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = "run-1", ExecutionId = "e1" },
            Name = "cronflow",
            Version = string.Empty,
        };
        return new OrchestrationRuntimeState([new OrchestratorStartedEvent(-1), start, .. past, new OrchestratorCompletedEvent(-1)]);
    }

    /// <summary>What the dispatcher does before the orchestration runs: an OrchestratorStarted, then the batch's events.</summary>
    private static OrchestratorStartedEvent Arrive(OrchestrationRuntimeState state, params HistoryEvent[] batch)
    {
        var started = new OrchestratorStartedEvent(-1);
        state.AddEvent(started);
        foreach (var e in batch)
        {
            state.AddEvent(e);
        }

        return started;
    }

    /// <summary>Azure Storage numbers new rows from Events.Count - NewEvents.Count: the lists must stay past-then-new.</summary>
    private static void AssertEventsArePastThenNew(OrchestrationRuntimeState state)
    {
        Assert.Equal([.. state.PastEvents, .. state.NewEvents], state.Events);
        Assert.Equal(state.PastEvents.Count, state.Events.Count - state.NewEvents.Count);
    }

    private static TaskScheduledEvent Scheduled(int id) => new(id, "cronflow-step");

    private static TaskCompletedEvent Completed(int id, string result = "1") => new(-1, id, result);

    private static TaskFailedEvent Failed(int id) => new(-1, id, "boom", null);

    private static TimerCreatedEvent TimerCreated(int id) => new(id) { FireAt = DateTime.UtcNow };

    private static TimerFiredEvent Fired(int id) => new(-1) { TimerId = id, FireAt = DateTime.UtcNow };

    private static SubOrchestrationInstanceCreatedEvent SubCreated(int id) => new(id) { Name = "child", InstanceId = $"child-{id}" };

    private static SubOrchestrationInstanceCompletedEvent SubCompleted(int id) => new(-1, id, "1");

    private static SubOrchestrationInstanceFailedEvent SubFailed(int id) => new(-1, id, "boom", null);

    private static EventRaisedEvent Raised(string name) => new(-1, "null") { Name = name };
}
