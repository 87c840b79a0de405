namespace Cronflow.Tests.Testing;

public sealed class VirtualClockTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void AdvanceTo_EarlierTime_NeverMovesTheClockBack()
    {
        var clock = new VirtualClock(new VirtualTimeInput());

        clock.AdvanceTo(new DateTimeOffset(Start.AddDays(3), TimeSpan.Zero), Start);
        clock.AdvanceTo(new DateTimeOffset(Start.AddHours(1), TimeSpan.Zero), Start);

        Assert.Equal(TimeSpan.FromDays(3), clock.Offset);
        Assert.Equal(new DateTimeOffset(Start.AddDays(3).AddSeconds(5), TimeSpan.Zero), clock.Now(Start.AddSeconds(5)));
    }

    [Fact]
    public void Earliest_TimersDueAtTheSameTime_FirstCreatedFirst()
    {
        var clock = new VirtualClock(new VirtualTimeInput());
        var late = clock.Add(new DateTimeOffset(Start.AddDays(2), TimeSpan.Zero));
        var first = clock.Add(new DateTimeOffset(Start.AddDays(1), TimeSpan.Zero));
        var second = clock.Add(new DateTimeOffset(Start.AddDays(1), TimeSpan.Zero));

        Assert.Same(first, clock.Earliest());
        clock.Remove(first);
        Assert.True(first.Ended.IsCompleted);
        Assert.Same(second, clock.Earliest());
        clock.Remove(second);
        Assert.Same(late, clock.Earliest());
    }

    [Fact]
    public void TakeScriptedEvent_TwoScripted_TakesTwoThenNone()
    {
        var clock = new VirtualClock(new VirtualTimeInput { Events = new() { ["tick"] = 2 } });

        Assert.True(clock.TakeScriptedEvent("tick"));
        Assert.Equal(1, clock.State(withScript: true).Events!["tick"]);
        Assert.True(clock.TakeScriptedEvent("tick"));
        Assert.False(clock.TakeScriptedEvent("tick"));
        Assert.False(clock.TakeScriptedEvent("other"));
        Assert.Null(clock.State(withScript: true).Events);
    }

    [Fact]
    public void State_ForAChild_CarriesTheOffsetButNoScript()
    {
        var clock = new VirtualClock(new VirtualTimeInput { OffsetTicks = TimeSpan.FromHours(5).Ticks, Events = new() { ["tick"] = 1 }, Resumes = true });

        var child = clock.State(withScript: false);

        Assert.Equal(TimeSpan.FromHours(5).Ticks, child.OffsetTicks);
        Assert.Null(child.Events);
        Assert.False(child.Resumes);
        Assert.True(clock.State(withScript: true).Resumes);
    }

    [Fact]
    public void InFlight_WorkEndedOrGivenUp_NoLongerCounts()
    {
        var clock = new VirtualClock(new VirtualTimeInput());
        var running = new TaskCompletionSource();
        var givenUp = new TaskCompletionSource();
        using var block = new CancellationTokenSource();
        clock.Busy(running.Task, CancellationToken.None);
        clock.Busy(givenUp.Task, block.Token);

        Assert.Equal(2, clock.InFlight()!.Count);
        block.Cancel();
        Assert.Equal([running.Task], clock.InFlight());
        running.SetResult();
        Assert.Null(clock.InFlight());
    }
}
