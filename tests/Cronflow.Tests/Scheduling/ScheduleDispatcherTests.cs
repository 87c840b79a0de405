using Cronflow.Scheduling;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Scheduling;

public sealed class ScheduleDispatcherTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static readonly DateTimeOffset Ten = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private static Task<CronflowHost> StartAsync() => CronflowHost.StartAsync(c => c
        .AddWorkflow(Workflow.Define("every-5m").OnSchedule("*/5 * * * *").Step("run", ctx => new
        {
            scheduledFor = ctx.Payload["scheduledFor"].As<string>(),
            kind = ctx.Trigger.Kind.ToString(),
            source = ctx.Trigger.Source,
        }))
        .AddWorkflow(Workflow.Define("manual").Step("run", _ => 1)),
        o => o.RunSchedules = false); // only the dispatchers under test start occurrences

    private static ScheduleDispatcher Dispatcher(CronflowHost host, TimeProvider clock, ScheduleOptions? options = null, ICronflowClient? client = null) =>
        new(client ?? host.Client, host.Services.GetRequiredService<WorkflowRegistry>(), clock, options);

    private static async Task<List<string>> RunIdsAsync(CronflowHost host)
    {
        var page = await host.Client.ListRunsAsync(new RunQuery { WorkflowId = "every-5m", PageSize = 1000 });
        return [.. page.Runs.Select(r => r.Id).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task TickAsync_DueOccurrence_StartsRunWithScheduleTriggerAndPayload()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddSeconds(3));

        var result = await Dispatcher(host, clock, new ScheduleOptions { Lookback = TimeSpan.FromMinutes(1) }).TickAsync();

        var occurrence = Assert.Single(result.Started);
        Assert.Empty(result.Failed);
        Assert.Equal(Ten, occurrence.Occurrence);
        var run = await host.Client.WaitForRunAsync(occurrence.RunId, Wait);
        Assert.Equal("2026-01-05T10:00:00Z", run.Output["scheduledFor"].As<string>());
        Assert.Equal("Schedule", run.Output["kind"].As<string>());
        Assert.Equal("cron:*/5 * * * *@UTC", run.Output["source"].As<string>());
    }

    [Fact]
    public async Task TickAsync_TwoInstancesTickingTheSameOccurrences_StartOneRunEach()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddMinutes(-1));
        var first = Dispatcher(host, clock);
        var second = Dispatcher(host, clock);

        for (var minute = 0; minute < 16; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await first.TickAsync();
            await second.TickAsync();
        }

        var ids = await RunIdsAsync(host);
        Assert.Equal(
            new[] { Ten, Ten.AddMinutes(5), Ten.AddMinutes(10), Ten.AddMinutes(15) }.Select(t => ScheduleCalculator.RunId("every-5m", "cron:*/5 * * * *@UTC", t)).Order(StringComparer.Ordinal),
            ids);
    }

    [Fact]
    public async Task TickAsync_RestartWithoutLastTick_DoesNotStartAnOccurrenceTwice()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddSeconds(1));
        var before = await Dispatcher(host, clock).TickAsync();
        var runId = Assert.Single(before.Started, o => o.Occurrence == Ten).RunId;
        await host.Client.WaitForRunAsync(runId, Wait);

        clock.Advance(TimeSpan.FromSeconds(30));
        var after = await Dispatcher(host, clock).TickAsync();

        Assert.Contains(after.Started, o => o.RunId == runId);
        var ids = await RunIdsAsync(host);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Single(ids, id => id == runId);
    }

    [Fact]
    public async Task TickAsync_AfterDowntime_CatchesUpOnlyWithinTheWindow()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten);
        var options = new ScheduleOptions { CatchUpWindow = TimeSpan.FromMinutes(30), MaxCatchUp = 10 };
        await Dispatcher(host, clock, options).TickAsync();

        clock.Advance(TimeSpan.FromHours(3));
        var result = await Dispatcher(host, clock, options).TickAsync();

        Assert.Equal(result.To.AddMinutes(-30), result.From);
        Assert.Equal(
            Enumerable.Range(0, 6).Select(i => Ten.AddHours(3).AddMinutes(-25 + (5 * i))),
            result.Started.Select(o => o.Occurrence));
        Assert.Equal(7, (await RunIdsAsync(host)).Count);
    }

    [Fact]
    public async Task TickAsync_RestartFortyMinutesLater_StartsEveryOccurrenceMissedInTheCatchUpWindow()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddSeconds(1));
        await Dispatcher(host, clock).TickAsync();

        // A new process (nothing in memory) ticks forty minutes later: the record in the task hub says since when.
        clock.Advance(TimeSpan.FromMinutes(40));
        var result = await Dispatcher(host, clock).TickAsync();

        Assert.Equal(Enumerable.Range(0, 9).Select(i => Ten.AddMinutes(5 * i)), result.Started.Select(o => o.Occurrence));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => ScheduleCalculator.RunId("every-5m", "cron:*/5 * * * *@UTC", Ten.AddMinutes(5 * i))).Order(StringComparer.Ordinal), await RunIdsAsync(host));
    }

    [Fact]
    public async Task TickAsync_NewTrigger_DoesNotCatchUpBeforeItsRecordLessTheLookback()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddMinutes(12));

        var result = await Dispatcher(host, clock).TickAsync();

        Assert.Equal(Ten.AddMinutes(10), Assert.Single(result.Started).Occurrence);
    }

    [Fact]
    public async Task TickAsync_StartsFailingForTwentyMinutes_LaterTickStartsEveryFailedOccurrence()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddSeconds(1));
        var backend = new SwitchableClient(host.Client);
        var dispatcher = Dispatcher(host, clock, client: backend);
        await dispatcher.TickAsync();

        backend.Down = true;
        var failed = new List<DueOccurrence>();
        for (var minute = 1; minute <= 20; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            failed.AddRange((await dispatcher.TickAsync()).Failed);
        }

        backend.Down = false;
        clock.Advance(TimeSpan.FromMinutes(1));
        var recovered = await dispatcher.TickAsync();

        Assert.NotEmpty(failed);
        Assert.Equal(Enumerable.Range(1, 4).Select(i => Ten.AddMinutes(5 * i)), recovered.Started.Where(o => o.Occurrence > Ten).Select(o => o.Occurrence));
        Assert.Equal(5, (await RunIdsAsync(host)).Count);
    }

    [Fact]
    public async Task TickAsync_RunIdTakenByOtherInput_ReportsItAndStartsTheRest()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddMinutes(5));
        var taken = ScheduleCalculator.RunId("every-5m", "cron:*/5 * * * *@UTC", Ten);
        await host.Client.TriggerAsync("every-5m", new { scheduledFor = "something else" }, taken);

        var result = await Dispatcher(host, clock, new ScheduleOptions { Lookback = TimeSpan.FromMinutes(6) }).TickAsync();

        Assert.Equal(taken, Assert.Single(result.Failed).RunId);
        Assert.Equal(Ten.AddMinutes(5), Assert.Single(result.Started).Occurrence);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        var registry = new WorkflowRegistry([]);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleDispatcher(null!, registry, TimeProvider.System, new ScheduleOptions { MaxCatchUp = 0 }));

        Assert.Equal("MaxCatchUp", ex.ParamName);
    }

    /// <summary>The host's client, failing every call while <see cref="Down"/> (a storage outage, as the dispatcher sees it).</summary>
    private sealed class SwitchableClient(ICronflowClient inner) : ICronflowClient, IScheduleLedger
    {
        public bool Down { get; set; }

        private T Up<T>(Func<T> call) => Down ? throw new HttpRequestException("Connection refused (storage down)") : call();

        public Task<DateTimeOffset> GetSinceAsync(string workflowId, string triggerKey, DateTimeOffset now) => Up(() => ((IScheduleLedger)inner).GetSinceAsync(workflowId, triggerKey, now));

        public Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null, CancellationToken cancellationToken = default) => Up(() => inner.TriggerAsync(workflowId, payload, runId, cancellationToken));

        public Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger, CancellationToken cancellationToken = default) => Up(() => inner.TriggerAsync(workflowId, payload, runId, trigger, cancellationToken));

        public Task<RunInfo?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => Up(() => inner.GetRunAsync(runId, cancellationToken));

        public Task<RunInfo> WaitForRunAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken = default) => Up(() => inner.WaitForRunAsync(runId, timeout, cancellationToken));

        public Task CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) => Up(() => inner.CancelAsync(runId, reason, cancellationToken));

        public Task RaiseEventAsync(string runId, string eventName, object? payload, CancellationToken cancellationToken = default) => Up(() => inner.RaiseEventAsync(runId, eventName, payload, cancellationToken));

        public Task ResumeAsync(string token, object? payload, CancellationToken cancellationToken = default) => Up(() => inner.ResumeAsync(token, payload, cancellationToken));

        public Task<IReadOnlyList<string>> PublishEventAsync(string eventName, object? payload, CancellationToken cancellationToken = default) => Up(() => inner.PublishEventAsync(eventName, payload, cancellationToken));

        public Task<string> ReplayAsync(string runId, CancellationToken cancellationToken = default) => Up(() => inner.ReplayAsync(runId, cancellationToken));

        public Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) => Up(() => inner.ListRunsAsync(query, cancellationToken));

        public Task<bool> PurgeRunAsync(string runId, CancellationToken cancellationToken = default) => Up(() => inner.PurgeRunAsync(runId, cancellationToken));
    }
}
