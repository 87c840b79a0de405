using System.Diagnostics;
using Cronflow.Benchmarks.Harness;
using DurableTask.Core;

namespace Cronflow.Benchmarks.Scenarios;

/// <summary>
/// P9, what a caller waits for: trigger, then the client's <c>WaitForRunAsync</c>, timed as the caller sees it, against
/// hand-written orchestrations started and waited with DurableTask.Core's own client wait
/// (<see cref="TaskHubClient.WaitForOrchestrationAsync(OrchestrationInstance, TimeSpan)"/>). No commit observer is
/// involved on either side: the time ends when the caller's wait returns.
/// </summary>
internal static class WaitScenarios
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static readonly int[] TenImmediateBranches = new int[Shapes.WaitFanOutBranches];

    public static async Task<List<BarResult>> RunAsync(BenchHost host, Settings settings)
    {
        var results = new List<BarResult>();
        results.AddRange(await FanOutLatencyAsync(host, settings));
        results.AddRange(await WaitedThroughputAsync(host, settings));
        return results;
    }

    /// <summary>A 10-way fan-out and join, one run at a time, the two sides alternating run by run.</summary>
    private static async Task<List<BarResult>> FanOutLatencyAsync(BenchHost host, Settings settings)
    {
        var runs = settings.WaitLatencyRuns;
        Console.WriteLine($"== P9 in memory: {Shapes.WaitFanOutBranches}-way fan-out and join, trigger then wait as the caller sees it; {Fmt.N0(runs)} runs per side, alternating (after {Fmt.N0(runs / 4)} of each to warm up) ==");
        var cronflow = new List<double>();
        var raw = new List<double>();
        for (var i = 0; i < runs / 4; i++)
        {
            await CronflowFanOutAsync(host);
            await RawFanOutAsync(host);
        }

        for (var i = 0; i < runs; i++)
        {
            if (i % 2 == 0)
            {
                cronflow.Add(await CronflowFanOutAsync(host));
                raw.Add(await RawFanOutAsync(host));
            }
            else
            {
                raw.Add(await RawFanOutAsync(host));
                cronflow.Add(await CronflowFanOutAsync(host));
            }
        }

        var c = Stats.Of(cronflow);
        var r = Stats.Of(raw);
        var ratio = c.Median / r.Median;
        Console.WriteLine($"    cronflow      {c.Format(Fmt.F3, " ms")}");
        Console.WriteLine($"    hand-written  {r.Format(Fmt.F3, " ms")}");
        Console.WriteLine($"    ratio of medians {Fmt.F2(ratio)}");
        Console.WriteLine();
        return
        [
            new BarResult("P9", "in-memory fan-out 10 + join, trigger-then-wait", $"ratio={Fmt.F2(ratio)}", "bar<=1.50", ratio <= 1.5,
                $"cronflow median {Fmt.F3(c.Median)} ms (min–max {Fmt.F3(c.Min)}–{Fmt.F3(c.Max)}) vs hand-written {Fmt.F3(r.Median)} ms ({Fmt.F3(r.Min)}–{Fmt.F3(r.Max)}); {Fmt.N0(runs)} runs per side"),
        ];
    }

    /// <summary>
    /// One side of the fan-out, run after run for <paramref name="duration"/> (for profilers), printing every second the
    /// median latency and its two parts: from the start to the commit of the run's last episode, and from that commit to
    /// the caller's wait returning.
    /// </summary>
    public static async Task SoakFanOutAsync(BenchHost host, bool cronflow, TimeSpan duration)
    {
        Console.WriteLine($"== soak: {(cronflow ? "cronflow" : "hand-written")} {Shapes.WaitFanOutBranches}-way fan-out and join, trigger then wait, for {duration.TotalSeconds:F0} s (process id {Environment.ProcessId}) ==");
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.FromSeconds(1);
        List<double> total = [], starts = [], toCommit = [], afterCommit = [], events = [];
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        while (clock.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            string id;
            if (cronflow)
            {
                id = await host.Cronflow.TriggerAsync(BenchWorkflows.FanOut10, null);
                starts.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await host.Cronflow.WaitForRunAsync(id, Timeout);
            }
            else
            {
                var instance = await host.Raw.CreateOrchestrationInstanceAsync(RawNames.FanOut, string.Empty, RunRequests.NewRunId(), new FanOutInput(TenImmediateBranches, 0, 0));
                starts.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await host.Raw.WaitForOrchestrationAsync(instance, Timeout);
                id = instance.InstanceId;
            }

            var returned = Stopwatch.GetTimestamp();
            var finished = await host.Tracker.FinishedAsync(id);
            var committed = finished.Timestamp;
            events.Add(finished.HistoryEvents);
            total.Add(Stopwatch.GetElapsedTime(started, returned).TotalMilliseconds);
            toCommit.Add(Stopwatch.GetElapsedTime(started, committed).TotalMilliseconds);
            afterCommit.Add(Stopwatch.GetElapsedTime(committed, returned).TotalMilliseconds);
            await ForgetAsync(host, id);
            if (clock.Elapsed >= next)
            {
                var cpuNow = Process.GetCurrentProcess().TotalProcessorTime;
                var cpuPerRun = (cpuNow - cpu).TotalMilliseconds / total.Count;
                cpu = cpuNow;
                var allocatedNow = GC.GetTotalAllocatedBytes(precise: false);
                var kbPerRun = (allocatedNow - allocated) / 1024.0 / total.Count;
                allocated = allocatedNow;
                Console.WriteLine($"    {clock.Elapsed.TotalSeconds,6:F1} s: n={total.Count}, CPU {Fmt.F3(cpuPerRun)} ms/run, alloc {Fmt.N0(kbPerRun)} KB/run, median {Fmt.F3(Stats.Of(total).Median)} ms = start to last commit {Fmt.F3(Stats.Of(toCommit).Median)} ms (of which the start call {Fmt.F3(Stats.Of(starts).Median)} ms) + commit to wait's return {Fmt.F3(Stats.Of(afterCommit).Median)} ms; history events {Fmt.F1(Stats.Of(events).Median)}");
                total.Clear();
                toCommit.Clear();
                afterCommit.Clear();
                events.Clear();
                starts.Clear();
                next += TimeSpan.FromSeconds(1);
            }
        }
    }

    private static async Task<double> CronflowFanOutAsync(BenchHost host)
    {
        var started = Stopwatch.GetTimestamp();
        var id = await host.Cronflow.TriggerAsync(BenchWorkflows.FanOut10, null);
        var run = await host.Cronflow.WaitForRunAsync(id, Timeout);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Check(run.Status == RunStatus.Completed, id, run.Status.ToString());
        await ForgetAsync(host, id);
        return ms;
    }

    private static async Task<double> RawFanOutAsync(BenchHost host)
    {
        var started = Stopwatch.GetTimestamp();
        var instance = await host.Raw.CreateOrchestrationInstanceAsync(RawNames.FanOut, string.Empty, RunRequests.NewRunId(), new FanOutInput(TenImmediateBranches, 0, 0));
        var state = await host.Raw.WaitForOrchestrationAsync(instance, Timeout);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Check(state?.OrchestrationStatus == OrchestrationStatus.Completed, instance.InstanceId, state?.OrchestrationStatus.ToString());
        await ForgetAsync(host, instance.InstanceId);
        return ms;
    }

    /// <summary>Many 3-step runs at once, each started and waited by its own caller; rounds alternate the sides.</summary>
    private static async Task<List<BarResult>> WaitedThroughputAsync(BenchHost host, Settings settings)
    {
        var callers = Shapes.WaitedCallers;
        Console.WriteLine($"== P9 in memory: {Fmt.N0(callers)} concurrent callers, each triggering a 3-step run and waiting for it; throughput over {settings.WaitThroughputRounds} rounds per side, alternating ==");
        var cronflow = new List<double>();
        var raw = new List<double>();
        await BatchAsync(host, callers, CronflowCallerAsync);
        await BatchAsync(host, callers, RawCallerAsync);
        for (var round = 0; round < settings.WaitThroughputRounds; round++)
        {
            double c, r;
            if (round % 2 == 0)
            {
                c = await BatchAsync(host, callers, CronflowCallerAsync);
                r = await BatchAsync(host, callers, RawCallerAsync);
            }
            else
            {
                r = await BatchAsync(host, callers, RawCallerAsync);
                c = await BatchAsync(host, callers, CronflowCallerAsync);
            }

            cronflow.Add(c);
            raw.Add(r);
            Console.WriteLine($"    round {round + 1,2}: cronflow {Fmt.N0(c)} runs/s, hand-written {Fmt.N0(r)} runs/s, ratio {Fmt.F3(c / r)}");
        }

        var ratio = Stats.Of(cronflow.Zip(raw, (c, r) => c / r));
        Console.WriteLine($"    cronflow      {Stats.Of(cronflow).Format(Fmt.N0, " runs/s")}");
        Console.WriteLine($"    hand-written  {Stats.Of(raw).Format(Fmt.N0, " runs/s")}");
        Console.WriteLine($"    ratio         {ratio.Format(Fmt.F3)}");
        Console.WriteLine();
        return
        [
            new BarResult("P9", $"in-memory {Fmt.N0(callers)} waited 3-step runs", $"ratio={Fmt.F2(ratio.Median)}", "bar>=0.90", ratio.Median >= 0.9,
                $"cronflow {Fmt.N0(Stats.Of(cronflow).Median)} runs/s vs hand-written {Fmt.N0(Stats.Of(raw).Median)} runs/s; ratio min–max {Fmt.F2(ratio.Min)}–{Fmt.F2(ratio.Max)}"),
        ];
    }

    /// <summary>Runs <paramref name="callers"/> callers at once; runs per second from the first start to the last wait's return.</summary>
    private static async Task<double> BatchAsync(BenchHost host, int callers, Func<BenchHost, Task<string>> caller)
    {
        var started = Stopwatch.GetTimestamp();
        var ids = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(() => caller(host))));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        foreach (var id in ids)
        {
            host.Tracker.Forget(id);
        }

        await host.PurgeAsync(ids);
        return callers / seconds;
    }

    private static async Task<string> CronflowCallerAsync(BenchHost host)
    {
        var id = await host.Cronflow.TriggerAsync(BenchWorkflows.Sequence3, new { n = 0 });
        var run = await host.Cronflow.WaitForRunAsync(id, Timeout);
        Check(run.Status == RunStatus.Completed && run.Output["n"].As<int>() == 3, id, run.Status.ToString());
        return id;
    }

    private static async Task<string> RawCallerAsync(BenchHost host)
    {
        var instance = await host.Raw.CreateOrchestrationInstanceAsync(RawNames.Sequence, string.Empty, RunRequests.NewRunId(), new SequenceInput(0, 3));
        var state = await host.Raw.WaitForOrchestrationAsync(instance, Timeout);
        Check(state?.OrchestrationStatus == OrchestrationStatus.Completed, instance.InstanceId, state?.OrchestrationStatus.ToString());
        return instance.InstanceId;
    }

    private static async Task ForgetAsync(BenchHost host, string id)
    {
        host.Tracker.Forget(id);
        await host.PurgeAsync([id]);
    }

    private static void Check(bool ok, string id, string? status)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"Instance {id} ended {status ?? "unknown"}.");
        }
    }
}
