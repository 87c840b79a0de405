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

    private static ScheduleDispatcher Dispatcher(CronflowHost host, TimeProvider clock, ScheduleOptions? options = null) =>
        new(host.Client, host.Services.GetRequiredService<WorkflowRegistry>(), clock, options);

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

        var result = await Dispatcher(host, clock, new ScheduleOptions { Lookback = TimeSpan.FromMinutes(1) }).TickAsync(null);

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

        DateTimeOffset? last = null;
        for (var minute = 0; minute < 16; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await first.TickAsync(last);
            await second.TickAsync(last);
            last = clock.GetUtcNow();
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
        var before = await Dispatcher(host, clock).TickAsync(null);
        var runId = Assert.Single(before.Started, o => o.Occurrence == Ten).RunId;
        await host.Client.WaitForRunAsync(runId, Wait);

        clock.Advance(TimeSpan.FromSeconds(30));
        var after = await Dispatcher(host, clock).TickAsync(null);

        Assert.Contains(after.Started, o => o.RunId == runId);
        var ids = await RunIdsAsync(host);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Single(ids, id => id == runId);
    }

    [Fact]
    public async Task TickAsync_AfterDowntime_CatchesUpOnlyWithinTheWindow()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddHours(3));

        var result = await Dispatcher(host, clock, new ScheduleOptions { CatchUpWindow = TimeSpan.FromMinutes(30), MaxCatchUp = 10 })
            .TickAsync(lastTick: Ten);

        Assert.Equal(result.To.AddMinutes(-30), result.From);
        Assert.Equal(
            Enumerable.Range(0, 6).Select(i => Ten.AddHours(3).AddMinutes(-25 + (5 * i))),
            result.Started.Select(o => o.Occurrence));
        Assert.Equal(6, (await RunIdsAsync(host)).Count);
    }

    [Fact]
    public async Task TickAsync_RunIdTakenByOtherInput_ReportsItAndStartsTheRest()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddMinutes(5));
        var taken = ScheduleCalculator.RunId("every-5m", "cron:*/5 * * * *@UTC", Ten);
        await host.Client.TriggerAsync("every-5m", new { scheduledFor = "something else" }, taken);

        var result = await Dispatcher(host, clock, new ScheduleOptions { Lookback = TimeSpan.FromMinutes(6) }).TickAsync(null);

        Assert.Equal(taken, Assert.Single(result.Failed).RunId);
        Assert.Equal(Ten.AddMinutes(5), Assert.Single(result.Started).Occurrence);
    }

    [Fact]
    public async Task TickAsync_LastTickInTheFuture_IsIgnored()
    {
        await using var host = await StartAsync();
        var clock = new FakeClock(Ten.AddSeconds(1));

        var result = await Dispatcher(host, clock, new ScheduleOptions { Lookback = TimeSpan.FromMinutes(1) }).TickAsync(Ten.AddDays(1));

        Assert.Equal(Ten.AddSeconds(1).AddMinutes(-1), result.From);
        Assert.Single(result.Started);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        var registry = new WorkflowRegistry([]);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleDispatcher(null!, registry, TimeProvider.System, new ScheduleOptions { MaxCatchUp = 0 }));

        Assert.Equal("MaxCatchUp", ex.ParamName);
    }
}
