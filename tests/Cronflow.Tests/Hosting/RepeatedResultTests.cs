using Cronflow.Hosting;
using DurableTask.Core.History;

namespace Cronflow.Tests.Hosting;

public sealed class RepeatedResultTests
{
    [Fact]
    public async Task CronflowHost_EveryStepResultAndTimerDeliveredTwice_RunCompletesWithOneResultPerStepInHistory()
    {
        RepeatingOrchestrationService? service = null;
        using var logs = new CapturingLoggerFactory();
        var wf = Workflow.Define("repeated-results")
            .Step("a", ctx => 2L)
            .Sleep(TimeSpan.FromMilliseconds(20))
            .Step("b", async ctx =>
            {
                // The repeated timer may be delivered after the first: keep the run going until the host has dropped
                // it (a message for a completed instance would be discarded by the backend before the filter sees it).
                await logs.WaitForAsync(e => e.EventId.Id == 4401 && e.Message.Contains(nameof(EventType.TimerFired), StringComparison.Ordinal))
                    .WaitAsync(TimeSpan.FromSeconds(20), ctx.CancellationToken);
                return ctx.Last.As<long>() * 3;
            })
            .Step("c", ctx => ctx.Last.As<long>() + 1);

        await using var host = await CronflowHost.StartAsync(
            c => c.AddWorkflow(wf),
            o =>
            {
                o.LoggerFactory = logs;
                o.WrapWorkerService = inner => service = new RepeatingOrchestrationService(inner);
            });
        var runId = await host.Client.TriggerAsync("repeated-results", null);
        var run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(7L, run.Output.As<long>());
        Assert.All(run.Steps, s => Assert.Equal(StepStatus.Completed, s.Status));
        Assert.All(run.Steps.Where(s => s.Kind == "step"), s => Assert.Equal(1, s.Attempts));

        Assert.NotNull(service);
        var history = service.SavedHistory(runId);
        var scheduled = history.OfType<TaskScheduledEvent>().Select(e => e.EventId).Order().ToList();
        var completions = history.Where(e => e is TaskCompletedEvent or TaskFailedEvent).Select(ScheduledId).Order().ToList();
        Assert.Equal(3, scheduled.Count);
        Assert.Equal(scheduled, completions);
        var timers = history.OfType<TimerCreatedEvent>().Select(e => e.EventId).ToList();
        Assert.Equal(timers, history.OfType<TimerFiredEvent>().Select(e => e.TimerId).ToList());

        // Each repeat reaches the filter, except perhaps the last step's: it can arrive after the run completed, and the
        // in-memory backend discards messages to a completed instance.
        var dropped = logs.Entries.Where(e => e.EventId.Id == 4401 && e.Message.Contains(runId, StringComparison.Ordinal)).ToList();
        Assert.InRange(dropped.Count, service.Repeated - 1, service.Repeated);
        Assert.Contains(dropped, e => e.Message.Contains(nameof(EventType.TimerFired), StringComparison.Ordinal));
    }

    private static int ScheduledId(HistoryEvent e) => e switch
    {
        TaskCompletedEvent completed => completed.TaskScheduledId,
        TaskFailedEvent failed => failed.TaskScheduledId,
        _ => -1,
    };
}
