using System.Diagnostics;
using Cronflow.Benchmarks.Harness;

namespace Cronflow.Benchmarks.Scenarios;

/// <summary>P8: managed memory held by 10,000 runs sleeping on a durable timer, in memory.</summary>
internal static class MemoryScenario
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static async Task<List<BarResult>> RunAsync(Settings settings)
    {
        var runs = settings.SleepingRuns;
        Console.WriteLine($"== P8 in memory: {Fmt.N0(runs)} runs that ran one step and sleep for {Shapes.SleepFor.TotalHours:F0} h; a fresh host per side and round; settled managed heap after minus before ==");
        var cronflow = new List<double>();
        var raw = new List<double>();
        for (var round = 0; round < settings.SleepingRounds; round++)
        {
            if (round % 2 == 0)
            {
                cronflow.Add(await MeasureAsync(runs, cronflowSide: true));
                raw.Add(await MeasureAsync(runs, cronflowSide: false));
            }
            else
            {
                raw.Add(await MeasureAsync(runs, cronflowSide: false));
                cronflow.Add(await MeasureAsync(runs, cronflowSide: true));
            }
        }

        var c = Stats.Of(cronflow);
        var r = Stats.Of(raw);
        Console.WriteLine($"    cronflow      {c.Format(Fmt.F1, " KB/run")}");
        Console.WriteLine($"    hand-written  {r.Format(Fmt.F1, " KB/run")}");
        Console.WriteLine();
        return
        [
            new BarResult("P8", "sleeping-run memory", $"KB/run={Fmt.F1(c.Median)}", "aim<=50KB", c.Median <= 50,
                $"{Fmt.N0(runs)} runs; hand-written {Fmt.F1(r.Median)} KB/run"),
        ];
    }

    private static async Task<double> MeasureAsync(int runs, bool cronflowSide)
    {
        var side = cronflowSide ? "cronflow" : "hand-written";
        await using var host = await BenchHost.StartAsync(Engine.InMemory);
        host.Tracker.TrackTimers = true;
        Func<Task<string>> start = cronflowSide
            ? () => host.StartCronflowAsync(BenchWorkflows.Sleeping, new { n = 1 })
            : () => host.StartRawAsync(RawNames.Sleep, new Num(1));

        // A few sleeping runs first, so that code paths, caches and pools are warm before the baseline.
        await SleepAsync(host, 200, start);
        var before = Measure.SettledHeapBytes();
        var workingSetBefore = Process.GetCurrentProcess().WorkingSet64;
        var clock = Stopwatch.StartNew();
        await SleepAsync(host, runs, start);
        var elapsed = clock.Elapsed;
        var after = Measure.SettledHeapBytes();
        var workingSetAfter = Process.GetCurrentProcess().WorkingSet64;
        var perRun = (after - before) / 1024.0 / runs;
        Console.WriteLine($"    {side,-13} heap {Fmt.N0(before / 1024.0)} KB -> {Fmt.N0(after / 1024.0)} KB: {Fmt.F1(perRun)} KB/run (working set +{Fmt.N0((workingSetAfter - workingSetBefore) / 1024.0 / 1024.0)} MB); {Fmt.N0(runs)} runs asleep in {Fmt.F1(elapsed.TotalSeconds)} s");
        GC.KeepAlive(host);
        return perRun;
    }

    /// <summary>Starts <paramref name="runs"/> runs and returns once each has armed its timer. Keeps nothing of its own about them.</summary>
    private static async Task SleepAsync(BenchHost host, int runs, Func<Task<string>> start)
    {
        var ids = new string[runs];
        for (var i = 0; i < runs; i++)
        {
            ids[i] = await start();
        }

        await Task.WhenAll(ids.Select(id => host.Tracker.TimerArmed(id))).WaitAsync(Timeout);
        foreach (var id in ids)
        {
            host.Tracker.Forget(id);
        }
    }
}
