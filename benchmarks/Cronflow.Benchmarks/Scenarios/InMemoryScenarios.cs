using System.Diagnostics;
using System.Text.Json;
using Cronflow.Benchmarks.Harness;

namespace Cronflow.Benchmarks.Scenarios;

/// <summary>P1 (in memory), P2, P3, P4, P5 and P7, all on one in-memory host.</summary>
internal static class InMemoryScenarios
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Alternates batches of both sides for <paramref name="duration"/> so that tiered JIT settles, and runs every other shape once.</summary>
    public static async Task WarmUpAsync(BenchHost host, TimeSpan duration)
    {
        Console.WriteLine($"== warm-up: {duration.TotalSeconds:F0} s of alternating 3-step batches, and every scenario shape once ==");
        var clock = Stopwatch.StartNew();
        var batches = 0;
        while (clock.Elapsed < duration)
        {
            await Measure.ThroughputAsync(host, 1000, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), 1, Timeout, Measure.CronflowCompleted);
            await Measure.ThroughputAsync(host, 1000, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), 1, Timeout, Measure.RawCompleted);
            batches++;
        }

        foreach (var workflow in new[] { BenchWorkflows.FanOut50, BenchWorkflows.Window40, BenchWorkflows.Race, BenchWorkflows.TimeoutWon, BenchWorkflows.TimeoutFires, BenchWorkflows.Payload50 })
        {
            await Measure.LatencyAsync(host, () => host.StartCronflowAsync(workflow, null), Timeout, Measure.CronflowCompleted);
        }

        await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.FanOut, new FanOutInput(Shapes.SkewedDurationsMs, Shapes.Window, 0)), Timeout, Measure.RawCompleted);
        await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Race, null), Timeout, Measure.RawCompleted);
        await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Timeout, new TimeoutInput(Shapes.QuickWorkMs, Shapes.LongTimeoutMs)), Timeout, Measure.RawCompleted);
        await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Timeout, new TimeoutInput(Shapes.SlowWorkMs, Shapes.ShortTimeoutMs)), Timeout, Measure.RawCompleted);
        await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Chain, Shapes.PayloadSteps), Timeout, Measure.RawCompleted);
        Console.WriteLine($"    {batches * 2} batches of 1,000 runs in {clock.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine();
    }

    /// <summary>P1 in memory and P2: throughput of 3-step workflows, and history events per step.</summary>
    public static async Task<List<BarResult>> ThroughputAsync(BenchHost host, Settings settings, bool p1, bool p2)
    {
        var runs = settings.ThroughputRuns;
        Console.WriteLine($"== P1/P2 in memory: 3-step sequential workflows, throughput; {settings.ThroughputRounds} rounds of a burst of {Fmt.N0(runs)} runs per side, alternating ==");
        var paired = await Measure.AlternateAsync(
            settings.ThroughputRounds,
            () => Measure.ThroughputAsync(host, runs, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), 1, Timeout, Measure.CronflowCompleted),
            () => Measure.ThroughputAsync(host, runs, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), 1, Timeout, Measure.RawCompleted),
            Fmt.N0);

        Paired? large = null;
        if (!settings.Quick && settings.LargeBurstRuns != runs)
        {
            var burst = settings.LargeBurstRuns;
            Console.WriteLine($"  the same with bursts of {Fmt.N0(burst)} runs (more runs in flight: more live state for the GC to trace); 5 rounds");
            large = await Measure.AlternateAsync(
                5,
                () => Measure.ThroughputAsync(host, burst, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), 1, Timeout, Measure.CronflowCompleted),
                () => Measure.ThroughputAsync(host, burst, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), 1, Timeout, Measure.RawCompleted),
                Fmt.N0);
        }

        // One run of each side, alone: its history (in memory the backend cannot return history, so the events are
        // counted in the runtime state committed with the final episode), what it stores, and its output.
        var cronflowId = RunRequests.NewRunId();
        var cronflowTally = host.Tracker.Tally(cronflowId);
        var cronflow = await Measure.LatencyAsync(host, () => host.Cronflow.TriggerAsync(BenchWorkflows.Sequence3, new { n = 0 }, cronflowId), Timeout, Measure.CronflowCompleted);
        var rawId = RunRequests.NewRunId();
        var rawTally = host.Tracker.Tally(rawId);
        var raw = await Measure.LatencyAsync(host, async () => (await host.Raw.CreateOrchestrationInstanceAsync(RawNames.Sequence, string.Empty, rawId, new SequenceInput(0, 3))).InstanceId, Timeout, Measure.RawCompleted);
        Console.WriteLine($"    stored per run ({cronflowTally.Episodes} episodes): cronflow history payloads {Fmt.N0(cronflowTally.HistoryBytes)} B, custom status {Fmt.N0(cronflowTally.StatusBytes)} B in all; hand-written {Fmt.N0(rawTally.HistoryBytes)} B, {Fmt.N0(rawTally.StatusBytes)} B");
        var output = Measure.ReadRun(cronflow.Finished)!.Output!.Value.GetProperty("n").GetInt32();
        var rawOutput = JsonSerializer.Deserialize<Num>(raw.Finished.Output!, CronflowJson.Options)!.N;
        if (output != 3 || rawOutput != 3)
        {
            throw new InvalidOperationException($"Unexpected outputs: cronflow n={output}, hand-written n={rawOutput} (expected 3).");
        }

        Console.WriteLine($"    history events of one run: cronflow {cronflow.Finished.HistoryEvents} ({Fmt.F2(cronflow.Finished.HistoryEvents / 3.0)} per step), hand-written {raw.Finished.HistoryEvents} ({Fmt.F2(raw.Finished.HistoryEvents / 3.0)} per step)");
        var cLatency = new List<double>();
        var rLatency = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            cLatency.Add((await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), Timeout, Measure.CronflowCompleted)).Ms);
            rLatency.Add((await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), Timeout, Measure.RawCompleted)).Ms);
        }

        if (large is not null)
        {
            Console.WriteLine($"    bursts of {Fmt.N0(settings.LargeBurstRuns)}: cronflow {Fmt.N0(large.Cronflow.Median)} runs/s, hand-written {Fmt.N0(large.Raw.Median)} runs/s, ratio {Fmt.F2(large.Ratio.Median)}, by CPU {Fmt.F2(large.CpuRatio.Median)}");
        }

        var cAllocated = await AllocatedPerRunAsync(host, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), Measure.CronflowCompleted);
        var rAllocated = await AllocatedPerRunAsync(host, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), Measure.RawCompleted);
        Console.WriteLine($"    allocated per run (all threads, batch of 1,000): cronflow {Fmt.F1(cAllocated / 1024)} KB, hand-written {Fmt.F1(rAllocated / 1024)} KB");
        Console.WriteLine($"    single-run latency, 20 runs per side: cronflow {Stats.Of(cLatency).Format(Fmt.F2, " ms")}; hand-written {Stats.Of(rLatency).Format(Fmt.F2, " ms")}");
        Console.WriteLine();

        var results = new List<BarResult>();
        if (p1)
        {
            results.Add(new BarResult("P1", "in-memory", $"ratio={Fmt.F2(paired.Ratio.Median)}", "bar>=0.90", paired.Ratio.Median >= 0.9,
                $"cronflow {Fmt.N0(paired.Cronflow.Median)} runs/s vs hand-written {Fmt.N0(paired.Raw.Median)} runs/s; ratio min–max {Fmt.F2(paired.Ratio.Min)}–{Fmt.F2(paired.Ratio.Max)}; by CPU time per run {Fmt.F2(paired.CpuRatio.Median)} ({Fmt.F3(paired.CronflowCpu.Median)} vs {Fmt.F3(paired.RawCpu.Median)} ms)"));
            results.Add(new BarResult("P1", "in-memory history-events/step", $"cronflow={Fmt.F2(cronflow.Finished.HistoryEvents / 3.0)} raw={Fmt.F2(raw.Finished.HistoryEvents / 3.0)}", "bar=same",
                cronflow.Finished.HistoryEvents == raw.Finished.HistoryEvents, "counted in the committed runtime state"));
        }

        if (p2)
        {
            results.Add(new BarResult("P2", "in-memory 3-step throughput", $"runs/s={Fmt.N0(paired.Cronflow.Median)}", "bar>=2000", paired.Cronflow.Median >= 2000,
                $"bursts of {Fmt.N0(runs)} runs; min–max {Fmt.N0(paired.Cronflow.Min)}–{Fmt.N0(paired.Cronflow.Max)} runs/s; hand-written median {Fmt.N0(paired.Raw.Median)} runs/s"));
            if (large is not null)
            {
                results.Add(new BarResult("P2", $"in-memory 3-step throughput, bursts of {Fmt.N0(settings.LargeBurstRuns)}", $"runs/s={Fmt.N0(large.Cronflow.Median)}", "bar>=2000", null,
                    $"sensitivity to runs in flight (not the bar's measurement); min–max {Fmt.N0(large.Cronflow.Min)}–{Fmt.N0(large.Cronflow.Max)} runs/s; hand-written median {Fmt.N0(large.Raw.Median)} runs/s"));
            }
        }

        return results;
    }

    /// <summary>P3: 50 branches of 100 ms against one branch, block time in orchestration time.</summary>
    public static async Task<List<BarResult>> FanOutAsync(BenchHost host, Settings settings)
    {
        Console.WriteLine($"== P3 in memory: parallel block of {Shapes.FanOutBranches} branches of {Shapes.FanOutDelayMs} ms vs 1 branch; block time from step records (hand-written: orchestration time); {settings.FanOutRounds} rounds ==");
        var all = Enumerable.Repeat(Shapes.FanOutDelayMs, Shapes.FanOutBranches).ToArray();
        var one = new[] { Shapes.FanOutDelayMs };
        var c50 = new List<double>();
        var c1 = new List<double>();
        var r50 = new List<double>();
        var r1 = new List<double>();
        var cRun = new List<double>();
        var rRun = new List<double>();
        for (var round = 0; round < settings.FanOutRounds; round++)
        {
            async Task CronflowSide()
            {
                var (block50, run50) = await CronflowBlockAsync(host, BenchWorkflows.FanOut50, BenchWorkflows.FanOutBlock);
                var (block1, _) = await CronflowBlockAsync(host, BenchWorkflows.FanOut1, BenchWorkflows.FanOutBlock);
                c50.Add(block50);
                c1.Add(block1);
                cRun.Add(run50);
            }

            async Task RawSide()
            {
                var (block50, run50) = await RawBlockAsync(host, new FanOutInput(all, 0, 0));
                var (block1, _) = await RawBlockAsync(host, new FanOutInput(one, 0, 0));
                r50.Add(block50);
                r1.Add(block1);
                rRun.Add(run50);
            }

            if (round % 2 == 0)
            {
                await CronflowSide();
                await RawSide();
            }
            else
            {
                await RawSide();
                await CronflowSide();
            }

            Console.WriteLine($"    round {round + 1,2}: cronflow 50 branches {Fmt.F1(c50[^1])} ms, 1 branch {Fmt.F1(c1[^1])} ms, ratio {Fmt.F2(c50[^1] / c1[^1])}; hand-written {Fmt.F1(r50[^1])} / {Fmt.F1(r1[^1])} ms, ratio {Fmt.F2(r50[^1] / r1[^1])}");
        }

        var ratio = Stats.Of(c50.Zip(c1, (a, b) => a / b));
        var rawRatio = Stats.Of(r50.Zip(r1, (a, b) => a / b));
        Console.WriteLine($"    cronflow 50 branches   {Stats.Of(c50).Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    cronflow 1 branch      {Stats.Of(c1).Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    cronflow ratio         {ratio.Format(Fmt.F2)}");
        Console.WriteLine($"    hand-written 50 / 1    {Stats.Of(r50).Format(Fmt.F1, " ms")} / {Stats.Of(r1).Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    hand-written ratio     {rawRatio.Format(Fmt.F2)}");
        Console.WriteLine($"    whole run, 50 branches (start to final commit): cronflow {Stats.Of(cRun).Format(Fmt.F1, " ms")}; hand-written {Stats.Of(rRun).Format(Fmt.F1, " ms")}");
        Console.WriteLine();
        return
        [
            new BarResult("P3", "50x100ms block/one branch", $"ratio={Fmt.F2(ratio.Median)}", "bar<=1.50", ratio.Median <= 1.5,
                $"block {Fmt.F1(Stats.Of(c50).Median)} ms vs {Fmt.F1(Stats.Of(c1).Median)} ms; hand-written ratio {Fmt.F2(rawRatio.Median)}"),
        ];
    }

    /// <summary>P4: a sliding window of 5 over 40 skewed branches against waves of 5.</summary>
    public static async Task<List<BarResult>> WindowAsync(BenchHost host, Settings settings)
    {
        var (idealWindow, idealWaves) = Shapes.IdealTimes(Shapes.SkewedDurationsMs, Shapes.Window);
        Console.WriteLine($"== P4 in memory: MaxConcurrency {Shapes.Window} over {Shapes.SkewedDurationsMs.Length} branches (every fifth 200 ms, others 20 ms) vs waves of {Shapes.Window}; {settings.WindowRounds} rounds ==");
        Console.WriteLine($"    ideal (no overhead): sliding window {idealWindow} ms, waves {idealWaves} ms, ratio {Fmt.F2((double)idealWindow / idealWaves)}");
        var cWindow = new List<double>();
        var cWaves = new List<double>();
        var rWindow = new List<double>();
        var rWaves = new List<double>();
        for (var round = 0; round < settings.WindowRounds; round++)
        {
            async Task CronflowSide()
            {
                cWindow.Add((await CronflowBlockAsync(host, BenchWorkflows.Window40, BenchWorkflows.WindowBlock)).Block);
                cWaves.Add((await CronflowBlockAsync(host, BenchWorkflows.Waves40, null)).Block);
            }

            async Task RawSide()
            {
                rWindow.Add((await RawBlockAsync(host, new FanOutInput(Shapes.SkewedDurationsMs, Shapes.Window, 0))).Block);
                rWaves.Add((await RawBlockAsync(host, new FanOutInput(Shapes.SkewedDurationsMs, 0, Shapes.Window))).Block);
            }

            if (round % 2 == 0)
            {
                await CronflowSide();
                await RawSide();
            }
            else
            {
                await RawSide();
                await CronflowSide();
            }

            Console.WriteLine($"    round {round + 1,2}: cronflow window {Fmt.F1(cWindow[^1])} ms, waves {Fmt.F1(cWaves[^1])} ms, ratio {Fmt.F2(cWindow[^1] / cWaves[^1])}; hand-written {Fmt.F1(rWindow[^1])} / {Fmt.F1(rWaves[^1])} ms, ratio {Fmt.F2(rWindow[^1] / rWaves[^1])}");
        }

        var ratio = Stats.Of(cWindow.Zip(cWaves, (a, b) => a / b));
        var rawRatio = Stats.Of(rWindow.Zip(rWaves, (a, b) => a / b));
        var overhead = Stats.Of(cWindow.Zip(rWindow, (a, b) => a / b));
        Console.WriteLine($"    cronflow window        {Stats.Of(cWindow).Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    cronflow waves         {Stats.Of(cWaves).Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    cronflow ratio         {ratio.Format(Fmt.F2)}");
        Console.WriteLine($"    hand-written window    {Stats.Of(rWindow).Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    hand-written waves     {Stats.Of(rWaves).Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    hand-written ratio     {rawRatio.Format(Fmt.F2)}");
        Console.WriteLine($"    window, cronflow / hand-written {overhead.Format(Fmt.F3)}");
        Console.WriteLine();
        return
        [
            new BarResult("P4", "window/waves", $"ratio={Fmt.F2(ratio.Median)}", "bar<=0.75", ratio.Median <= 0.75,
                $"window {Fmt.F1(Stats.Of(cWindow).Median)} ms vs waves {Fmt.F1(Stats.Of(cWaves).Median)} ms (ideal {idealWindow} / {idealWaves}); hand-written ratio {Fmt.F2(rawRatio.Median)}"),
        ];
    }

    /// <summary>P5: what follows a race winner, a step that beats its timeout, and a timeout that fires.</summary>
    public static async Task<List<BarResult>> RaceAndTimeoutsAsync(BenchHost host, Settings settings)
    {
        Console.WriteLine($"== P5 in memory: race ({Shapes.RaceFastMs} ms vs {Shapes.RaceSlowMs} ms), step beating a {Shapes.LongTimeoutMs} ms timeout ({Shapes.QuickWorkMs} ms of work), timeout of {Shapes.ShortTimeoutMs} ms firing on {Shapes.SlowWorkMs} ms of work; {settings.RaceRounds} rounds; gaps measured between marks taken inside the activities ==");
        var cRace = new List<double>();
        var rRace = new List<double>();
        var cWonGap = new List<double>();
        var rWonGap = new List<double>();
        var cWonRun = new List<double>();
        var rWonRun = new List<double>();
        var cFired = new List<double>();
        var rFired = new List<double>();
        for (var round = 0; round < settings.RaceRounds; round++)
        {
            async Task CronflowSide()
            {
                var race = await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.Race, null), Timeout, Measure.CronflowCompleted);
                cRace.Add(Gap(race.Id, "fast:end", "next:start"));
                var won = await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.TimeoutWon, null), Timeout, Measure.CronflowCompleted);
                cWonGap.Add(Gap(won.Id, "work:end", "next:start"));
                cWonRun.Add(won.Ms);
                var fired = await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.TimeoutFires, null), Timeout, Measure.CronflowCompleted);
                cFired.Add(Gap(fired.Id, "work:start", "fallback:start") - Shapes.ShortTimeoutMs);
            }

            async Task RawSide()
            {
                var race = await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Race, null), Timeout, Measure.RawCompleted);
                rRace.Add(Gap(race.Id, "fast:end", "next:start"));
                var won = await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Timeout, new TimeoutInput(Shapes.QuickWorkMs, Shapes.LongTimeoutMs)), Timeout, Measure.RawCompleted);
                rWonGap.Add(Gap(won.Id, "work:end", "next:start"));
                rWonRun.Add(won.Ms);
                var fired = await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Timeout, new TimeoutInput(Shapes.SlowWorkMs, Shapes.ShortTimeoutMs)), Timeout, Measure.RawCompleted);
                rFired.Add(Gap(fired.Id, "work:start", "fallback:start") - Shapes.ShortTimeoutMs);
            }

            if (round % 2 == 0)
            {
                await CronflowSide();
                await RawSide();
            }
            else
            {
                await RawSide();
                await CronflowSide();
            }

            Console.WriteLine($"    round {round + 1,2}: race gap cronflow {Fmt.F2(cRace[^1])} ms / hand-written {Fmt.F2(rRace[^1])} ms; timeout won by step: gap {Fmt.F2(cWonGap[^1])} / {Fmt.F2(rWonGap[^1])} ms, run {Fmt.F1(cWonRun[^1])} / {Fmt.F1(rWonRun[^1])} ms; timeout fired: fallback {Fmt.F2(cFired[^1])} / {Fmt.F2(rFired[^1])} ms after due");
        }

        var race = Stats.Of(cRace);
        var wonGap = Stats.Of(cWonGap);
        var wonRun = Stats.Of(cWonRun);
        var fired = Stats.Of(cFired);
        Console.WriteLine($"    race: winner end -> next step start     cronflow {race.Format(Fmt.F2, " ms")}; hand-written {Stats.Of(rRace).Format(Fmt.F2, " ms")}");
        Console.WriteLine($"    step beat timeout: work end -> next     cronflow {wonGap.Format(Fmt.F2, " ms")}; hand-written {Stats.Of(rWonGap).Format(Fmt.F2, " ms")}");
        Console.WriteLine($"    step beat timeout: whole run            cronflow {wonRun.Format(Fmt.F1, " ms")}; hand-written {Stats.Of(rWonRun).Format(Fmt.F1, " ms")} (timer {Shapes.LongTimeoutMs} ms)");
        Console.WriteLine($"    timeout fired: fallback start - due     cronflow {fired.Format(Fmt.F2, " ms")}; hand-written {Stats.Of(rFired).Format(Fmt.F2, " ms")} (due = work start + {Shapes.ShortTimeoutMs} ms)");
        Console.WriteLine();
        return
        [
            new BarResult("P5", "race next-step gap", $"median={Fmt.F2(race.Median)}ms", "bar<=20ms", race.Median <= 20, $"max {Fmt.F2(race.Max)} ms; hand-written median {Fmt.F2(Stats.Of(rRace).Median)} ms"),
            new BarResult("P5", "timeout-won next-step gap", $"median={Fmt.F2(wonGap.Median)}ms", "bar<=20ms", wonGap.Median <= 20, $"max {Fmt.F2(wonGap.Max)} ms; hand-written median {Fmt.F2(Stats.Of(rWonGap).Median)} ms"),
            new BarResult("P5", "timeout-won run time", $"median={Fmt.F1(wonRun.Median)}ms", $"bar<{Fmt.N0(Shapes.LongTimeoutMs)}ms-timer", wonRun.Max < Shapes.LongTimeoutMs / 10.0,
                $"{Shapes.QuickWorkMs} ms of work; max {Fmt.F1(wonRun.Max)} ms; hand-written median {Fmt.F1(Stats.Of(rWonRun).Median)} ms"),
            new BarResult("P5", "timeout-fired fallback start", $"median={Fmt.F2(fired.Median)}ms-after-due", "bar<=20ms", fired.Median <= 20, $"max {Fmt.F2(fired.Max)} ms; hand-written median {Fmt.F2(Stats.Of(rFired).Median)} ms"),
        ];
    }

    /// <summary>
    /// P7: bytes sent to activities and sub-orchestrations against the sum of the step outputs, for a 50-step workflow
    /// with 1 KB outputs and for a chunked for-each after a 100 KB output; under the embedded host's settings and under
    /// each Functions app's (see <see cref="FunctionsSettings"/>).
    /// </summary>
    public static async Task<List<BarResult>> PayloadAsync(BenchHost host, Settings settings)
    {
        Console.WriteLine($"== P7 in memory: {Shapes.PayloadSteps} steps with ~1 KB outputs, and a for-each of {Shapes.ChunkedItems} items in {Shapes.Chunks} chunks after a {Fmt.N0(Shapes.ChunkedBigChars)} B output; activity and sub-orchestration inputs and activity results counted at commit ==");
        var results = new List<BarResult>
        {
            await PayloadStepsAsync(host, settings, "embedded host", withRaw: true),
            await PayloadChunksAsync(host, settings, "embedded host"),
            await PayloadReadAsync(host, settings, "embedded host"),
        };

        foreach (var (name, appSettings) in FunctionsSettings.Apps)
        {
            var (register, hasStore) = FunctionsSettings.For(appSettings);
            Console.WriteLine($"  {name}: {(hasStore ? "outputs over the inline allowance are stored" : "no output store: every output travels inline")}");
            await using var functions = await BenchHost.StartAsync(Engine.InMemory, cronflow: register);
            results.Add(await PayloadStepsAsync(functions, settings, name, withRaw: false));
            results.Add(await PayloadChunksAsync(functions, settings, name));
            results.Add(await PayloadReadAsync(functions, settings, name));
        }

        Console.WriteLine();
        return results;
    }

    private static async Task<BarResult> PayloadStepsAsync(BenchHost host, Settings settings, string hostName, bool withRaw)
    {
        var cRatio = new List<double>();
        var rRatio = new List<double>();
        long cIn = 0, cOut = 0, rIn = 0, rOut = 0;
        for (var round = 0; round < settings.PayloadRounds; round++)
        {
            var id = RunRequests.NewRunId();
            var tally = host.Tracker.Tally(id, withChildren: true);
            await Measure.LatencyAsync(host, () => host.Cronflow.TriggerAsync(BenchWorkflows.Payload50, null, id), Timeout, Measure.CronflowCompleted);
            (cIn, cOut) = (tally.InputBytes + tally.ChildInputBytes, tally.OutputBytes);
            cRatio.Add((double)cIn / cOut);
            Check(tally, "cronflow");
            if (!withRaw)
            {
                continue;
            }

            var rawId = RunRequests.NewRunId();
            var rawTally = host.Tracker.Tally(rawId);
            await Measure.LatencyAsync(host, async () => (await host.Raw.CreateOrchestrationInstanceAsync(RawNames.Chain, string.Empty, rawId, Shapes.PayloadSteps)).InstanceId, Timeout, Measure.RawCompleted);
            (rIn, rOut) = (rawTally.InputBytes, rawTally.OutputBytes);
            rRatio.Add((double)rIn / rOut);
            Check(rawTally, "hand-written");
        }

        Console.WriteLine($"    {hostName}, {Shapes.PayloadSteps} steps: inputs {Fmt.N0(cIn)} B to {Shapes.PayloadSteps} activities, outputs {Fmt.N0(cOut)} B, ratio {Fmt.F2(cIn / (double)cOut)} (avg input {Fmt.N0(cIn / (double)Shapes.PayloadSteps)} B)");
        if (withRaw)
        {
            var copyAll = Enumerable.Range(0, Shapes.PayloadSteps).Sum(k => (double)k * cOut / Shapes.PayloadSteps) + cOut;
            Console.WriteLine($"      hand-written: inputs {Fmt.N0(rIn)} B (each step gets the previous output), outputs {Fmt.N0(rOut)} B, ratio {Fmt.F2(rIn / (double)rOut)}");
            Console.WriteLine($"      for scale: copying every earlier output (plus Last) into every step would send ~{Fmt.N0(copyAll)} B, ratio ~{Fmt.F1(copyAll / cOut)}");
        }

        var ratio = Stats.Of(cRatio).Median;
        return new BarResult("P7", $"{Shapes.PayloadSteps} steps, {hostName}: sent bytes/output bytes", $"ratio={Fmt.F2(ratio)}", "bar<=3.00", ratio <= 3,
            $"{Fmt.N0(cIn)} B in, {Fmt.N0(cOut)} B out" + (withRaw ? $"; hand-written ratio {Fmt.F2(Stats.Of(rRatio).Median)}" : ""));

        static void Check(PayloadTally tally, string side)
        {
            if (tally.Inputs != Shapes.PayloadSteps || tally.Outputs != Shapes.PayloadSteps)
            {
                throw new InvalidOperationException($"{side}: counted {tally.Inputs} activity inputs and {tally.Outputs} results, expected {Shapes.PayloadSteps}.");
            }
        }
    }

    private static async Task<BarResult> PayloadChunksAsync(BenchHost host, Settings settings, string hostName)
    {
        var ratios = new List<double>();
        PayloadTally? tally = null;
        for (var round = 0; round < settings.PayloadRounds; round++)
        {
            var id = RunRequests.NewRunId();
            tally = host.Tracker.Tally(id, withChildren: true);
            var (_, finished, _) = await Measure.LatencyAsync(host, () => host.Cronflow.TriggerAsync(BenchWorkflows.PayloadChunks, null, id), Timeout, Measure.CronflowCompleted);
            var items = Measure.ReadRun(finished)!.Steps.Single(s => s.Name == "each").Output!;
            if (items.Count != Shapes.ChunkedItems || items.Items().Any(v => v["size"].As<int>() != Shapes.ChunkedBigChars))
            {
                throw new InvalidOperationException($"{hostName}: the for-each's output is wrong: {items}");
            }

            ratios.Add((double)(tally.InputBytes + tally.ChildInputBytes) / tally.OutputBytes);
        }

        var sent = tally!.InputBytes + tally.ChildInputBytes;
        Console.WriteLine($"    {hostName}, chunked for-each: inputs {Fmt.N0(tally.InputBytes)} B to {tally.Inputs} activities and {Fmt.N0(tally.ChildInputBytes)} B to {tally.Children} chunks, step outputs {Fmt.N0(tally.OutputBytes)} B, ratio {Fmt.F2(sent / (double)tally.OutputBytes)}; {tally.Fetches} reads of outputs held by reference returned {Fmt.N0(tally.FetchedBytes)} B to the chunks");
        var ratio = Stats.Of(ratios).Median;
        return new BarResult("P7", $"chunked for-each after 100 KB, {hostName}: sent bytes/output bytes", $"ratio={Fmt.F2(ratio)}", "bar<=3.00", ratio <= 3,
            $"{Fmt.N0(sent)} B in, {Fmt.N0(tally.OutputBytes)} B out");
    }

    /// <summary>
    /// A 100 KB run payload that each of 50 steps reads: the bytes sent to activities and sub-orchestrations against
    /// the payload's size (a stored payload travels to each step as its reference).
    /// </summary>
    private static async Task<BarResult> PayloadReadAsync(BenchHost host, Settings settings, string hostName)
    {
        var payload = new { blob = new string('p', Shapes.RunPayloadChars) };
        var payloadBytes = (long)System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload).Length;
        var ratios = new List<double>();
        PayloadTally? tally = null;
        for (var round = 0; round < settings.PayloadRounds; round++)
        {
            var id = RunRequests.NewRunId();
            tally = host.Tracker.Tally(id, withChildren: true);
            var (_, finished, _) = await Measure.LatencyAsync(host, () => host.Cronflow.TriggerAsync(BenchWorkflows.PayloadRead, payload, id), Timeout, Measure.CronflowCompleted);
            var run = Measure.ReadRun(finished)!;
            if (run.Steps.Count != Shapes.PayloadSteps || run.Steps.Any(s => s.Output!["size"].As<int>() != Shapes.RunPayloadChars))
            {
                throw new InvalidOperationException($"{hostName}: the steps did not all read the payload: {run.Output}");
            }

            ratios.Add((double)(tally.InputBytes + tally.ChildInputBytes) / payloadBytes);
        }

        var sent = tally!.InputBytes + tally.ChildInputBytes;
        Console.WriteLine($"    {hostName}, {Shapes.PayloadSteps} steps reading a {Fmt.N0(payloadBytes)} B payload: inputs {Fmt.N0(sent)} B to {tally.Inputs} activities, ratio to the payload {Fmt.F2(sent / (double)payloadBytes)} (copying it into every step: ~{Fmt.N0(Shapes.PayloadSteps * payloadBytes)} B)");
        var ratio = Stats.Of(ratios).Median;
        return new BarResult("P7", $"{Shapes.PayloadSteps} steps reading a 100 KB payload, {hostName}: sent bytes/payload bytes", $"ratio={Fmt.F2(ratio)}", "bar<=3.00", ratio <= 3,
            $"{Fmt.N0(sent)} B in for a {Fmt.N0(payloadBytes)} B payload");
    }

    /// <summary>Bytes allocated by the whole process per run, over a batch of 1,000 runs.</summary>
    private static async Task<double> AllocatedPerRunAsync(BenchHost host, Func<Task<string>> start, Func<Finished, bool> ok)
    {
        const int runs = 1000;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await Measure.ThroughputAsync(host, runs, start, 1, Timeout, ok);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)runs;
    }

    /// <summary>Runs batches of one side's 3-step workflow for <paramref name="duration"/>, printing each batch's throughput (for profilers).</summary>
    public static async Task SoakAsync(BenchHost host, bool cronflow, TimeSpan duration)
    {
        Console.WriteLine($"== soak: {(cronflow ? "cronflow" : "hand-written")} 3-step batches of 1,000 runs for {duration.TotalSeconds:F0} s (process id {Environment.ProcessId}) ==");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var rate = cronflow
                ? await Measure.ThroughputAsync(host, 1000, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), 1, Timeout, Measure.CronflowCompleted)
                : await Measure.ThroughputAsync(host, 1000, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), 1, Timeout, Measure.RawCompleted);
            Console.WriteLine($"    {clock.Elapsed.TotalSeconds,6:F1} s: {Fmt.N0(rate.RunsPerSecond)} runs/s, {rate.Describe()}");
        }
    }

    /// <summary>Runs a Cronflow workflow alone; returns the time of a block from its step record(s) and the whole run's latency.</summary>
    private static async Task<(double Block, double Run)> CronflowBlockAsync(BenchHost host, string workflowId, string? block)
    {
        var (ms, finished, _) = await Measure.LatencyAsync(host, () => host.StartCronflowAsync(workflowId, null), Timeout, Measure.CronflowCompleted);
        var steps = Measure.ReadRun(finished)!.Steps;
        var records = block is null ? steps : steps.Where(s => s.Name == block).ToList();
        var start = records.Min(s => s.StartedAt!.Value);
        var end = records.Max(s => s.CompletedAt!.Value);
        return ((end - start).TotalMilliseconds, ms);
    }

    private static async Task<(double Block, double Run)> RawBlockAsync(BenchHost host, FanOutInput input)
    {
        var (ms, finished, _) = await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.FanOut, input), Timeout, Measure.RawCompleted);
        var result = JsonSerializer.Deserialize<FanOutResult>(finished.Output!, CronflowJson.Options)!;
        return (result.BlockMs, ms);
    }

    private static double Gap(string instanceId, string from, string to) =>
        BenchHost.Ms(Stamps.Get(instanceId, from), Stamps.Get(instanceId, to));
}
