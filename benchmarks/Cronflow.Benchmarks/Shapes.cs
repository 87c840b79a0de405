namespace Cronflow.Benchmarks;

/// <summary>The shapes of the scenarios, shared by the Cronflow workflows and the hand-written orchestrators.</summary>
internal static class Shapes
{
    /// <summary>P3: branches of simulated I/O.</summary>
    public const int FanOutBranches = 50;

    /// <summary>P3: how long each branch waits.</summary>
    public const int FanOutDelayMs = 100;

    /// <summary>P9: branches of the fan-out and join a caller waits for (each returns at once).</summary>
    public const int WaitFanOutBranches = 10;

    /// <summary>P9: callers at once, each triggering a 3-step run and waiting for it.</summary>
    public const int WaitedCallers = 500;

    /// <summary>P4: the sliding window and the wave size.</summary>
    public const int Window = 5;

    /// <summary>P4: 40 branches, skewed: every fifth takes 200 ms, the others 20 ms, so each wave of 5 waits for one slow branch.</summary>
    public static readonly int[] SkewedDurationsMs = Enumerable.Range(0, 40).Select(i => i % 5 == 0 ? 200 : 20).ToArray();

    /// <summary>P5: the race winner, and the loser (which keeps the instance open until it ends).</summary>
    public const int RaceFastMs = 30;

    public const int RaceSlowMs = 400;

    /// <summary>P5: a step that beats its timeout by far.</summary>
    public const int QuickWorkMs = 30;

    public const int LongTimeoutMs = 10_000;

    /// <summary>P5: a step that loses against its timeout.</summary>
    public const int SlowWorkMs = 500;

    public const int ShortTimeoutMs = 100;

    /// <summary>P7: steps and the size of each output's string.</summary>
    public const int PayloadSteps = 50;

    public const int PayloadBlobChars = 1000;

    public static readonly string Blob = new('x', PayloadBlobChars);

    /// <summary>P7, for-each in chunks: the size of the large output before it, the items and the chunks.</summary>
    public const int ChunkedBigChars = 100_000;

    public const int ChunkedItems = 40;

    /// <summary>P7, a large run payload that every step reads: the size of its string.</summary>
    public const int RunPayloadChars = 100_000;

    public const int Chunks = 10;

    /// <summary>P8: how long the sleeping runs sleep (they never wake during the measurement).</summary>
    public static readonly TimeSpan SleepFor = TimeSpan.FromHours(1);

    /// <summary>
    /// The time list scheduling in index order takes on <paramref name="slots"/> slots (the ideal sliding window),
    /// and the time of waves of <paramref name="slots"/> (each wave as long as its slowest branch).
    /// </summary>
    public static (int Window, int Waves) IdealTimes(int[] durations, int slots)
    {
        var free = new int[slots];
        foreach (var duration in durations)
        {
            var earliest = Array.IndexOf(free, free.Min());
            free[earliest] += duration;
        }

        var waves = durations.Chunk(slots).Sum(wave => wave.Max());
        return (free.Max(), waves);
    }
}
