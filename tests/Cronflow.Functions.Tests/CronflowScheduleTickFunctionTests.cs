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

        var (name, id, input) = Assert.Single(host.Started);
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

        Assert.Single(host.Started);
    }

    [Fact]
    public async Task RunAsync_AfterThreeHoursDown_CatchesUpTheLastHourOnly()
    {
        var clock = new FakeTimeProvider(Ten.AddHours(3).AddSeconds(5));
        await using var host = new FunctionsTestHost(clock);

        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(Ten.UtcDateTime), host.Client.Object, TestContexts.Function());

        var (_, id, _) = Assert.Single(host.Started);
        Assert.EndsWith("-20260105T130000Z", id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NothingDue_StartsNothing()
    {
        var clock = new FakeTimeProvider(Ten.AddMinutes(30));
        await using var host = new FunctionsTestHost(clock);

        await new CronflowScheduleTickFunction(host.Runtime).RunAsync(Timer(Ten.AddMinutes(29).UtcDateTime), host.Client.Object, TestContexts.Function());

        Assert.Empty(host.Started);
    }

    [Theory]
    [InlineData(DateTimeKind.Utc)]
    [InlineData(DateTimeKind.Unspecified)]
    public void LastTick_UtcOrUnspecified_IsReadAsUtc(DateTimeKind kind)
    {
        var last = DateTime.SpecifyKind(new DateTime(2026, 1, 5, 9, 59, 0), kind);

        Assert.Equal(Ten.AddMinutes(-1), CronflowScheduleTickFunction.LastTick(Timer(last)));
    }

    [Fact]
    public void LastTick_NoScheduleStatus_IsNull()
    {
        Assert.Null(CronflowScheduleTickFunction.LastTick(Timer(null)));
        Assert.Null(CronflowScheduleTickFunction.LastTick(Timer(default(DateTime))));
    }
}
