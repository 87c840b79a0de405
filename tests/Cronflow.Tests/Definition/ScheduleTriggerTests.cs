namespace Cronflow.Tests.Definition;

/// <summary>
/// The occurrences of schedule triggers (cron with time zones, and intervals).
/// </summary>
public sealed class ScheduleTriggerTests
{
    private static ScheduleTrigger Cron(string cron, string? timeZone = null) =>
        Assert.Single(Workflow.Define("sched").OnSchedule(cron, timeZone).Step("a", _ => 1).Build().Schedules);

    private static ScheduleTrigger Every(TimeSpan interval) =>
        Assert.Single(Workflow.Define("sched").OnInterval(interval).Step("a", _ => 1).Build().Schedules);

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public void NextAfter_FiveFieldCronUtc_NextOccurrence()
    {
        var trigger = Cron("0 2 * * *");

        Assert.Equal(Utc(2024, 1, 1, 2), trigger.NextAfter(Utc(2024, 1, 1, 0)));
        Assert.Equal("cron:0 2 * * *@UTC", trigger.Key);
        Assert.Null(trigger.Interval);
    }

    [Fact]
    public void NextAfter_ExactlyAnOccurrence_ReturnsTheFollowingOne()
    {
        Assert.Equal(Utc(2024, 1, 2, 2), Cron("0 2 * * *").NextAfter(Utc(2024, 1, 1, 2)));
    }

    [Fact]
    public void NextAfter_SixFieldCron_HasSecondPrecision()
    {
        var trigger = Cron("*/15 * * * * *");

        Assert.Equal(Utc(2024, 1, 1, 10, 0, 15), trigger.NextAfter(Utc(2024, 1, 1, 10, 0, 7)));
        Assert.Equal(Utc(2024, 1, 1, 10, 1, 0), trigger.NextAfter(Utc(2024, 1, 1, 10, 0, 45)));
    }

    [Fact]
    public void NextAfter_ParisCron_FollowsLocalTimeAcrossSpringForward()
    {
        var trigger = Cron("0 9 * * *", "Europe/Paris");

        // 09:00 CET is 08:00 UTC before the change on 31 March 2024; 09:00 CEST is 07:00 UTC after it.
        Assert.Equal(Utc(2024, 3, 30, 8), trigger.NextAfter(Utc(2024, 3, 30, 0)));
        Assert.Equal(Utc(2024, 3, 31, 7), trigger.NextAfter(Utc(2024, 3, 30, 8)));
        Assert.Equal("cron:0 9 * * *@Europe/Paris", trigger.Key);
    }

    [Fact]
    public void NextAfter_ParisCronInSkippedHour_RunsAtTheTransition()
    {
        // 02:30 does not exist in Paris on 31 March 2024 (02:00 CET jumps to 03:00 CEST = 01:00 UTC).
        var next = Cron("30 2 * * *", "Europe/Paris").NextAfter(Utc(2024, 3, 30, 12));

        Assert.Equal(Utc(2024, 3, 31, 1), next);
    }

    [Fact]
    public void NextAfter_ParisCronInRepeatedHour_RunsOnce()
    {
        var trigger = Cron("30 2 * * *", "Europe/Paris");

        // 02:30 happens twice on 27 October 2024 (00:30 and 01:30 UTC); the schedule fires at the first only.
        var first = trigger.NextAfter(Utc(2024, 10, 26, 12));
        var second = trigger.NextAfter(first!.Value);

        Assert.Equal(Utc(2024, 10, 27, 0, 30), first);
        Assert.Equal(Utc(2024, 10, 28, 1, 30), second);
    }

    [Fact]
    public void NextAfter_Interval_AlignedToUnixEpoch()
    {
        var trigger = Every(TimeSpan.FromMinutes(15));

        Assert.Equal(Utc(2024, 1, 1, 10, 15), trigger.NextAfter(Utc(2024, 1, 1, 10, 7)));
        Assert.Equal(Utc(2024, 1, 1, 10, 30), trigger.NextAfter(Utc(2024, 1, 1, 10, 15)));
        Assert.Equal("every:900s", trigger.Key);
        Assert.Null(trigger.Cron);
    }

    [Fact]
    public void NextAfter_IntervalNotDividingADay_AlignedToEpochNotToMidnight()
    {
        // 2024-01-01T00:00Z is 1704067200 s after the epoch, 3 s past a multiple of 7.
        var next = Every(TimeSpan.FromSeconds(7)).NextAfter(Utc(2024, 1, 1, 0));

        Assert.Equal(Utc(2024, 1, 1, 0, 0, 4), next);
        Assert.Equal(0, (next!.Value.ToUnixTimeSeconds()) % 7);
    }

    [Fact]
    public void NextAfter_IntervalWithOffsetInput_ReturnsUtc()
    {
        var next = Every(TimeSpan.FromHours(1)).NextAfter(new DateTimeOffset(2024, 6, 1, 12, 30, 0, TimeSpan.FromHours(2)));

        Assert.Equal(Utc(2024, 6, 1, 11), next);
        Assert.Equal(TimeSpan.Zero, next!.Value.Offset);
    }

    [Fact]
    public void NextAfter_EpochItself_ReturnsOneIntervalLater()
    {
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(1), Every(TimeSpan.FromDays(1)).NextAfter(DateTimeOffset.UnixEpoch));
    }
}
