using Cronflow.Scheduling;

namespace Cronflow.Tests.Scheduling;

public sealed class ScheduleCalculatorTests
{
    private static readonly DateTimeOffset Ten = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private static WorkflowDefinition Define(Func<IWorkflowBuilder, IWorkflowBuilder> triggers, string id = "report") =>
        triggers(Workflow.Define(id)).Step("run", ctx => ctx.Payload).Build();

    [Fact]
    public void GetDue_CronBetweenTicks_ReturnsOccurrencesAfterStartUpToEndInclusive()
    {
        var workflow = Define(w => w.OnSchedule("*/5 * * * *"));

        var due = ScheduleCalculator.GetDue([workflow], Ten, Ten.AddMinutes(15), maxPerTrigger: 10);

        Assert.Equal([Ten.AddMinutes(5), Ten.AddMinutes(10), Ten.AddMinutes(15)], due.Select(d => d.Occurrence));
        Assert.All(due, d => Assert.Equal("report", d.WorkflowId));
        Assert.All(due, d => Assert.Equal("cron:*/5 * * * *@UTC", d.TriggerKey));
    }

    [Fact]
    public void GetDue_NothingDueInWindow_ReturnsEmpty()
    {
        var workflow = Define(w => w.OnSchedule("0 2 * * *"));

        Assert.Empty(ScheduleCalculator.GetDue([workflow], Ten, Ten.AddMinutes(59), maxPerTrigger: 10));
    }

    [Fact]
    public void GetDue_SixFieldCron_UsesSeconds()
    {
        var workflow = Define(w => w.OnSchedule("*/20 * * * * *"));

        var due = ScheduleCalculator.GetDue([workflow], Ten, Ten.AddMinutes(1), maxPerTrigger: 10);

        Assert.Equal([Ten.AddSeconds(20), Ten.AddSeconds(40), Ten.AddSeconds(60)], due.Select(d => d.Occurrence));
    }

    [Fact]
    public void GetDue_Interval_IsAlignedToTheUnixEpoch()
    {
        var workflow = Define(w => w.OnInterval(TimeSpan.FromMinutes(15)));

        var due = ScheduleCalculator.GetDue([workflow], Ten.AddMinutes(1), Ten.AddMinutes(31), maxPerTrigger: 10);

        Assert.Equal([Ten.AddMinutes(15), Ten.AddMinutes(30)], due.Select(d => d.Occurrence));
        Assert.All(due, d => Assert.Equal("every:900s", d.TriggerKey));
    }

    [Fact]
    public void GetDue_MoreOccurrencesThanTheLimit_KeepsTheNewestOldestFirst()
    {
        var workflow = Define(w => w.OnSchedule("* * * * *"));

        var due = ScheduleCalculator.GetDue([workflow], Ten.AddHours(-1), Ten, maxPerTrigger: 10);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => Ten.AddMinutes(i - 9)), due.Select(d => d.Occurrence));
    }

    [Fact]
    public void GetDue_SeveralTriggersAndWorkflows_OrdersByTimeThenWorkflow()
    {
        var a = Define(w => w.OnSchedule("*/10 * * * *").OnInterval(TimeSpan.FromMinutes(15)), "a");
        var b = Define(w => w.OnSchedule("*/30 * * * *"), "b");

        var due = ScheduleCalculator.GetDue([b, a], Ten.AddSeconds(-1), Ten.AddMinutes(30), maxPerTrigger: 10);

        Assert.Equal(
            ["a@0", "a@0", "b@0", "a@10", "a@15", "a@20", "a@30", "a@30", "b@30"],
            due.Select(d => $"{d.WorkflowId}@{(d.Occurrence - Ten).TotalMinutes}"));
        Assert.Equal(due.Count, due.Select(d => d.RunId).Distinct().Count());
    }

    [Fact]
    public void GetDue_CronInTimeZone_FollowsDaylightSavingTime()
    {
        var workflow = Define(w => w.OnSchedule("0 9 * * *", "Europe/Amsterdam"));
        var winter = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
        var summer = new DateTimeOffset(2026, 7, 15, 0, 0, 0, TimeSpan.Zero);

        var inWinter = Assert.Single(ScheduleCalculator.GetDue([workflow], winter, winter.AddDays(1), maxPerTrigger: 10));
        var inSummer = Assert.Single(ScheduleCalculator.GetDue([workflow], summer, summer.AddDays(1), maxPerTrigger: 10));

        Assert.Equal(winter.AddHours(8), inWinter.Occurrence);
        Assert.Equal(summer.AddHours(7), inSummer.Occurrence);
        Assert.Equal("cron:0 9 * * *@Europe/Amsterdam", inWinter.TriggerKey);
    }

    [Fact]
    public void GetDue_TimeInTheSpringForwardGap_FiresAtTheFirstValidTimeAfterIt()
    {
        var workflow = Define(w => w.OnSchedule("30 2 * * *", "Europe/Amsterdam"));
        var evening = new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero);

        var due = Assert.Single(ScheduleCalculator.GetDue([workflow], evening, evening.AddHours(4), maxPerTrigger: 10));

        Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero), due.Occurrence); // 03:00 CEST
    }

    [Fact]
    public void GetDue_FixedTimeInTheRepeatedAutumnHour_FiresOnce()
    {
        var workflow = Define(w => w.OnSchedule("30 2 * * *", "Europe/Amsterdam"));
        var evening = new DateTimeOffset(2026, 10, 24, 23, 0, 0, TimeSpan.Zero);

        var due = Assert.Single(ScheduleCalculator.GetDue([workflow], evening, evening.AddHours(4), maxPerTrigger: 10));

        Assert.Equal(new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero), due.Occurrence); // 02:30 CEST, the first 02:30
    }

    [Fact]
    public void RunId_SameOccurrence_IsTheSameEverywhereAndReadable()
    {
        var first = ScheduleCalculator.RunId("report", "cron:0 2 * * *@UTC", new DateTimeOffset(2026, 1, 5, 2, 0, 0, TimeSpan.Zero));
        var second = ScheduleCalculator.RunId("report", "cron:0 2 * * *@UTC", new DateTimeOffset(2026, 1, 5, 3, 0, 0, TimeSpan.FromHours(1)));

        Assert.Equal(first, second);
        Assert.Matches("^sched-report-[0-9a-f]{8}-20260105T020000Z$", first);
    }

    [Fact]
    public void RunId_OtherTriggerSameTime_Differs()
    {
        var at = Ten;

        Assert.NotEqual(
            ScheduleCalculator.RunId("report", "cron:0 * * * *@UTC", at),
            ScheduleCalculator.RunId("report", "every:3600s", at));
    }

    [Fact]
    public void Payload_Occurrence_IsIsoUtc()
    {
        var payload = ScheduleCalculator.Payload(new DateTimeOffset(2026, 1, 5, 11, 0, 0, TimeSpan.FromHours(1)));

        Assert.Equal("""{"scheduledFor":"2026-01-05T10:00:00Z"}""", payload.GetRawText());
    }

    [Fact]
    public void Window_TriggerJustRecorded_LooksBackTheLookback()
    {
        var (from, to) = ScheduleCalculator.Window(Ten, Ten, new ScheduleOptions { Lookback = TimeSpan.FromMinutes(2) });

        Assert.Equal(Ten.AddMinutes(-2), from);
        Assert.Equal(Ten, to);
    }

    [Fact]
    public void Window_TriggerRecordedFortyMinutesAgo_ReachesBackToTheRecordLessTheLookback()
    {
        var (from, _) = ScheduleCalculator.Window(Ten.AddMinutes(-40), Ten, new ScheduleOptions());

        Assert.Equal(Ten.AddMinutes(-45), from);
    }

    [Fact]
    public void Window_TriggerRecordedLongAgo_IsTheCatchUpWindow()
    {
        var (from, _) = ScheduleCalculator.Window(Ten.AddDays(-2), Ten, new ScheduleOptions { CatchUpWindow = TimeSpan.FromMinutes(30) });

        Assert.Equal(Ten.AddMinutes(-30), from);
    }

    [Fact]
    public void Window_RecordInTheFuture_LooksBackTheLookbackFromNow()
    {
        var (from, _) = ScheduleCalculator.Window(Ten.AddDays(1), Ten, new ScheduleOptions { Lookback = TimeSpan.FromMinutes(2) });

        Assert.Equal(Ten.AddMinutes(-2), from);
    }

    [Theory]
    [InlineData("61 * * * *")]
    [InlineData("* * *")]
    [InlineData("0 0 31 2 * * *")]
    [InlineData("nonsense")]
    public void OnSchedule_InvalidCron_IsRejectedAtRegistration(string cron)
    {
        var workflow = Workflow.Define("bad-cron").OnSchedule(cron).Step("s", _ => 1);

        var ex = Assert.Throws<WorkflowDefinitionException>(() => workflow.Build());

        var error = Assert.Single(ex.Errors);
        Assert.Equal(ErrorCodes.InvalidSchedule, error.Code);
        Assert.Contains(cron, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnSchedule_UnknownTimeZone_IsRejectedAtRegistration()
    {
        var workflow = Workflow.Define("bad-zone").OnSchedule("0 9 * * *", "Mars/Olympus").Step("s", _ => 1);

        var ex = Assert.Throws<WorkflowDefinitionException>(() => workflow.Build());

        Assert.Equal("The time zone 'Mars/Olympus' is not known on this machine.", Assert.Single(ex.Errors).Message);
    }
}
