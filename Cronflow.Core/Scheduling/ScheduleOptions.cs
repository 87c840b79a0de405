namespace Cronflow.Scheduling;

/// <summary>How schedule ticks pick the occurrences to start. The defaults are documented in <c>docs/schedules.md</c>.</summary>
internal sealed class ScheduleOptions
{
    /// <summary>How far back a tick looks for missed occurrences after downtime (default 1 hour). Older occurrences are skipped.</summary>
    public TimeSpan CatchUpWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most occurrences one trigger starts in one tick (default 10): the newest ones, oldest first.</summary>
    public int MaxCatchUp { get; set; } = 10;

    /// <summary>
    /// How far back every tick looks at least (default 5 minutes), whatever the previous tick was: it covers lost or
    /// late ticks and clock differences between instances. Occurrences already started are recognised by their run id.
    /// </summary>
    public TimeSpan Lookback { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (CatchUpWindow <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CatchUpWindow), CatchUpWindow, "ScheduleOptions.CatchUpWindow must be positive.");
        }

        if (MaxCatchUp < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCatchUp), MaxCatchUp, "ScheduleOptions.MaxCatchUp must be at least 1.");
        }

        if (Lookback < TimeSpan.Zero || Lookback > CatchUpWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(Lookback), Lookback, "ScheduleOptions.Lookback must be between zero and CatchUpWindow.");
        }
    }
}
