using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Time.Testing;

namespace Cronflow.Functions.Tests;

public sealed class CronflowScheduleTickFunctionTests
{
    private static readonly DateTimeOffset Ten = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private static TimerInfo Timer(DateTime? last) => new()
    {
        IsPastDue = false,
        ScheduleStatus = last is null ? null : new ScheduleStatus { Last = last.Value, Next = last.Value.AddMinutes(1), LastUpdated = last.Value },
    };

    [Fact]
    public async Task RunAsync_TickAfterTheHour_StartsTheOccurrenceWithDeterministicId()
    {
        var clock = new FakeTimeProvider(Ten.AddSeconds(2));
        await using var host = new FunctionsTestHost(clock);

        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(Ten.AddMinutes(-1).UtcDateTime), host.Client.Object, TestContexts.Function());

        var (name, id, input) = Assert.Single(Runs(host));
        Assert.Equal("CronflowOrchestrator", name);
        Assert.Matches("^sched-hourly-[0-9a-f]{8}-20260105T100000Z$", id);
        Assert.Equal("2026-01-05T10:00:00Z", input.GetProperty("payload").GetProperty("scheduledFor").GetString());
        Assert.Equal("Schedule", input.GetProperty("trigger").GetProperty("kind").GetString());
        Assert.Equal("cron:0 * * * *@UTC", input.GetProperty("trigger").GetProperty("source").GetString());
    }

    [Fact]
    public async Task RunAsync_SecondTickOnAnotherInstance_DoesNotStartTheOccurrenceAgain()
    {
        var clock = new FakeTimeProvider(Ten.AddSeconds(2));
        await using var host = new FunctionsTestHost(clock);
        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(null), host.Client.Object, TestContexts.Function());

        clock.Advance(TimeSpan.FromMinutes(1));
        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(null), host.Client.Object, TestContexts.Function());

        Assert.Single(Runs(host));
    }

    [Fact]
    public async Task RunAsync_AfterThreeHoursDown_CatchesUpTheLastHourOnly()
    {
        var clock = new FakeTimeProvider(Ten.AddSeconds(5));
        await using var host = new FunctionsTestHost(clock);
        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(null), host.Client.Object, TestContexts.Function());

        // A new instance (nothing in memory) ticks three hours later.
        clock.Advance(TimeSpan.FromHours(3));
        await using var restarted = new FunctionsTestHost(clock);
        foreach (var (id, instance) in host.Instances)
        {
            restarted.Instances[id] = instance;
        }

        await new CronflowScheduleTickFunction(restarted.Runtime).RunAsync(Timer(null), restarted.Client.Object, TestContexts.Function());

        var (_, caughtUp, _) = Assert.Single(Runs(restarted));
        Assert.EndsWith("-20260105T130000Z", caughtUp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FirstTick_RecordsTheTriggerInTheTaskHub()
    {
        var clock = new FakeTimeProvider(Ten.AddSeconds(5));
        await using var host = new FunctionsTestHost(clock);

        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(null), host.Client.Object, TestContexts.Function());

        var (_, id, input) = Assert.Single(host.Started, s => !s.InstanceId.StartsWith("sched-", StringComparison.Ordinal));
        Assert.Matches("^cronflow-schedule~hourly~[0-9a-f]{8}$", id);
        Assert.Equal("cron:0 * * * *@UTC", input.GetProperty("schedule").GetProperty("key").GetString());
        Assert.Equal(Ten.AddSeconds(5), input.GetProperty("schedule").GetProperty("since").GetDateTimeOffset());
    }

    [Fact]
    public async Task RunAsync_NothingDue_StartsNothing()
    {
        var clock = new FakeTimeProvider(Ten.AddMinutes(30));
        await using var host = new FunctionsTestHost(clock);

        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(Ten.AddMinutes(29).UtcDateTime), host.Client.Object, TestContexts.Function());

        Assert.Empty(Runs(host));
    }

    private static List<(string Name, string InstanceId, System.Text.Json.JsonElement Input)> Runs(FunctionsTestHost host) =>
        [.. host.Started.Where(s => s.InstanceId.StartsWith("sched-", StringComparison.Ordinal))];
}
