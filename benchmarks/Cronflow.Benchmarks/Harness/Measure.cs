using System.Diagnostics;
using System.Text.Json;
using DurableTask.Core;

namespace Cronflow.Benchmarks.Harness;

/// <summary>The measuring loops shared by the scenarios.</summary>
internal static class Measure
{
    /// <summary>
    /// Starts <paramref name="runs"/> instances as fast as the client allows and waits for all of them. Returns the
    /// throughput in runs per second, from the first start to the last commit of a final state. With
    /// <paramref name="tolerateStall"/>, a batch whose runs do not all finish within <paramref name="timeout"/> counts
    /// with the runs that did finish (over the whole wait), and says why the others did not; otherwise it throws.
    /// </summary>
    public static async Task<Throughput> ThroughputAsync(BenchHost host, int runs, Func<Task<string>> start, int parallelStarts, TimeSpan timeout, Func<Finished, bool> ok, bool tolerateStall = false)
    {
        var commitErrorsBefore = host.Tracker.CommitErrors;
        var ids = new string[runs];
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var pauseBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var gen1Before = GC.CollectionCount(1);
        var gen2Before = GC.CollectionCount(2);
        var started = Stopwatch.GetTimestamp();

        // What the collector did since the batch started, per run of the given count.
        GcCost GcSince(int count) => new(
            (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds / count,
            (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / 1024.0 / count,
            GC.CollectionCount(1) - gen1Before,
            GC.CollectionCount(2) - gen2Before);

        if (parallelStarts <= 1)
        {
            for (var i = 0; i < runs; i++)
            {
                ids[i] = await start();
            }
        }
        else
        {
            await Parallel.ForAsync(0, runs, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = parallelStarts }, async (i, _) => ids[i] = await start());
        }

        var startPhase = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var waits = ids.Select(id => host.WaitAsync(id, timeout)).ToArray();
        try
        {
            await Task.WhenAll(waits);
        }
        catch (TimeoutException)
        {
            var done = waits.Count(w => w.IsCompletedSuccessfully);
            var work = host.Tracker.DescribeWork();
            var queues = await host.DescribeQueuesAsync();
            var stuck = ids.Where((_, i) => !waits[i].IsCompletedSuccessfully).Take(3).ToList();
            var states = new List<string>();
            foreach (var id in stuck)
            {
                states.Add($"{id}: {await host.DescribeAsync(id)}");
            }

            var stall = $"only {done} of {runs} runs finished within {timeout.TotalSeconds:F0} s; commits that threw in this batch: {host.Tracker.CommitErrors - commitErrorsBefore} (last: {host.Tracker.LastCommitError ?? "none"}); worker: {work}; queues: {queues}; unfinished: {string.Join("; ", states)}";
            if (!tolerateStall)
            {
                throw new TimeoutException(stall);
            }

            process.Refresh();
            var stalled = waits.Where(w => w.IsCompletedSuccessfully).Select(w => w.Result).ToArray();
            var waited = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return new Throughput(
                done / waited,
                (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / Math.Max(1, done),
                GcSince(Math.Max(1, done)),
                stalled.Sum(f => f.DuplicateResults),
                startPhase,
                host.Tracker.CommitErrors - commitErrorsBefore,
                stall)
            {
                Runs = done,
                Seconds = waited,
            };
        }

        var finished = waits.Select(w => w.Result).ToArray();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var gc = GcSince(runs);
        var last = finished.Max(f => f.Timestamp);
        var duplicates = finished.Sum(f => f.DuplicateResults);
        var failed = finished.Count(f => !ok(f));
        await host.PurgeAsync(ids);
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} of {runs} runs did not complete successfully.");
        }

        var seconds = Stopwatch.GetElapsedTime(started, last).TotalSeconds;
        return new Throughput(runs / seconds, cpu.TotalMilliseconds / runs, gc, duplicates, startPhase, host.Tracker.CommitErrors - commitErrorsBefore)
        {
            Runs = runs,
            Seconds = seconds,
        };
    }

    /// <summary>Starts one instance and waits for it: milliseconds from the start call to the commit of its final state.</summary>
    public static async Task<(double Ms, Finished Finished, string Id)> LatencyAsync(BenchHost host, Func<Task<string>> start, TimeSpan timeout, Func<Finished, bool> ok)
    {
        var started = Stopwatch.GetTimestamp();
        var id = await start();
        var finished = await host.WaitAsync(id, timeout);
        if (!ok(finished))
        {
            throw new InvalidOperationException($"Instance {id} ended {finished.Status}: {Truncate(finished.Output)}");
        }

        return (Stopwatch.GetElapsedTime(started, finished.Timestamp).TotalMilliseconds, finished, id);
    }

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds of both sides, alternating which goes first, and returns both sides'
    /// throughput and the per-round ratios cronflow / hand-written: of runs per second (the bar), and of CPU time per
    /// run (hand-written / cronflow, so that it reads as a throughput ratio), which other load on a shared machine
    /// disturbs far less.
    /// </summary>
    public static async Task<Paired> AlternateAsync(int rounds, Func<Task<Throughput>> cronflow, Func<Task<Throughput>> raw, Func<double, string> format)
    {
        var c = new List<Throughput>();
        var r = new List<Throughput>();
        for (var round = 0; round < rounds; round++)
        {
            Throughput cv, rv;
            if (round % 2 == 0)
            {
                cv = await cronflow();
                rv = await raw();
            }
            else
            {
                rv = await raw();
                cv = await cronflow();
            }

            c.Add(cv);
            r.Add(rv);
            Console.WriteLine($"    round {round + 1,2}: cronflow {format(cv.RunsPerSecond)} runs/s ({cv.Describe()})  hand-written {format(rv.RunsPerSecond)} runs/s ({rv.Describe()})  ratio {Fmt.F3(cv.RunsPerSecond / rv.RunsPerSecond)}, by CPU {Fmt.F3(rv.CpuMsPerRun / cv.CpuMsPerRun)}");
        }

        var stalls = c.Count(t => t.Stall is not null) + r.Count(t => t.Stall is not null);
        if (stalls > 0)
        {
            Console.WriteLine($"    {stalls} batch(es) stalled: cronflow {c.Count(t => t.Stall is not null)}, hand-written {r.Count(t => t.Stall is not null)} (counted with the runs that finished)");
        }

        // Ratios come from the rounds in which neither side stalled; throughput over all batches (stalls included) is
        // reported next to them.
        var clean = c.Zip(r).Where(p => p.First.Stall is null && p.Second.Stall is null).ToList();
        var paired = new Paired(
            Stats.Of(c.Select(t => t.RunsPerSecond)),
            Stats.Of(r.Select(t => t.RunsPerSecond)),
            Stats.Of(clean.Select(p => p.First.RunsPerSecond / p.Second.RunsPerSecond)),
            Stats.Of(clean.Select(p => p.First.CpuMsPerRun)),
            Stats.Of(clean.Select(p => p.Second.CpuMsPerRun)),
            Stats.Of(clean.Select(p => p.Second.CpuMsPerRun / p.First.CpuMsPerRun)))
        {
            Stalls = (c.Count(t => t.Stall is not null), r.Count(t => t.Stall is not null)),
            OverallCronflow = c.Sum(t => t.Runs) / c.Sum(t => t.Seconds),
            OverallRaw = r.Sum(t => t.Runs) / r.Sum(t => t.Seconds),
        };
        if (stalls > 0)
        {
            Console.WriteLine($"    over all batches, stalls included: cronflow {format(paired.OverallCronflow)} runs/s, hand-written {format(paired.OverallRaw)} runs/s, ratio {Fmt.F3(paired.OverallCronflow / paired.OverallRaw)}; the ratios below use the {clean.Count} rounds without a stall");
        }

        Console.WriteLine($"    cronflow      {paired.Cronflow.Format(format, " runs/s")}; CPU {paired.CronflowCpu.Format(Fmt.F3, " ms/run")}");
        Console.WriteLine($"    hand-written  {paired.Raw.Format(format, " runs/s")}; CPU {paired.RawCpu.Format(Fmt.F3, " ms/run")}");
        Console.WriteLine($"    ratio         {paired.Ratio.Format(Fmt.F3)}");
        Console.WriteLine($"    ratio by CPU  {paired.CpuRatio.Format(Fmt.F3)}");
        return paired;
    }

    /// <summary>Whether a Cronflow run completed successfully (the orchestration and the run result it carries).</summary>
    public static bool CronflowCompleted(Finished finished) =>
        finished.Status == OrchestrationStatus.Completed && ReadRun(finished)?.Status == RunStatus.Completed;

    public static bool RawCompleted(Finished finished) => finished.Status == OrchestrationStatus.Completed;

    public static RunResult? ReadRun(Finished finished) =>
        finished.Output is null ? null : JsonSerializer.Deserialize<RunResult>(finished.Output, CronflowJson.Options);

    public static string Truncate(string? text) => text is null ? "(null)" : text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>Forces full collections until the heap settles, then returns the bytes in use.</summary>
    public static long SettledHeapBytes()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

/// <summary>Runs per second, and CPU time of the whole process per run (all threads: engine, client, both sides' code).</summary>
/// <param name="StartPhaseMs">How long the start calls took, all together.</param>
/// <param name="CommitErrors">Episode commits the backend failed during the batch (retried by the worker).</param>
/// <param name="Stall">Why the batch did not finish in time, if it did not.</param>
internal sealed record Throughput(double RunsPerSecond, double CpuMsPerRun, GcCost Gc, int DuplicateResults, double StartPhaseMs, int CommitErrors = 0, string? Stall = null)
{
    /// <summary>Runs that finished, and the seconds they took (for throughput over several batches).</summary>
    public int Runs { get; init; }

    public double Seconds { get; init; }

    public string Describe() =>
        $"CPU {Fmt.F3(CpuMsPerRun)} ms/run, alloc {Fmt.N0(Gc.AllocatedKbPerRun)} KB/run, GC pause {Fmt.F3(Gc.PauseMsPerRun)} ms/run, gen1/gen2 GCs {Gc.Gen1}/{Gc.Gen2}, starts took {Fmt.N0(StartPhaseMs)} ms"
        + (DuplicateResults > 0 ? $", {DuplicateResults} duplicate activity results" : "")
        + (CommitErrors > 0 ? $", {CommitErrors} failed commits" : "")
        + (Stall is not null ? $"; STALLED: {Stall}" : "");
}

/// <summary>What the garbage collector did during a batch (whole process).</summary>
internal sealed record GcCost(double PauseMsPerRun, double AllocatedKbPerRun, int Gen1, int Gen2);

/// <summary>Both sides of a paired throughput measurement and their per-round ratios (wall clock, and CPU time per run).</summary>
internal sealed record Paired(Stats Cronflow, Stats Raw, Stats Ratio, Stats CronflowCpu, Stats RawCpu, Stats CpuRatio)
{
    /// <summary>Batches that did not finish in time, per side.</summary>
    public (int Cronflow, int Raw) Stalls { get; init; }

    /// <summary>Runs per second over all batches of each side, stalled ones included.</summary>
    public double OverallCronflow { get; init; }

    public double OverallRaw { get; init; }

    public string StallNote => Stalls is (0, 0)
        ? ""
        : $"; stalled batches: cronflow {Stalls.Cronflow}, hand-written {Stalls.Raw} (ratio over the other rounds; over all batches {Fmt.F2(OverallCronflow / OverallRaw)})";
}
