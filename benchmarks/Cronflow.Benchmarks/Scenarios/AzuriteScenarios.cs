using Cronflow.Benchmarks.Harness;

namespace Cronflow.Benchmarks.Scenarios;

/// <summary>P1 on Azurite and P6: the Azure Storage backend on the Azurite emulator, one fresh task hub per program run.</summary>
internal static class AzuriteScenarios
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>A throughput batch normally takes seconds; one that takes longer stalled (see the docs) and is counted as it stands.</summary>
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Concurrent start calls: on Azure Storage each start writes a table row and a queue message.</summary>
    private const int ParallelStarts = 16;

    public static async Task WarmUpAsync(BenchHost host)
    {
        Console.WriteLine($"== Azurite warm-up (task hub {host.TaskHub}): single runs of each side, then one batch of 20 per side ==");
        for (var i = 0; i < 3; i++)
        {
            var c = await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.Sequence5, new { n = 0 }), Timeout, Measure.CronflowCompleted);
            var r = await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 5)), Timeout, Measure.RawCompleted);
            Console.WriteLine($"    5-step single run: cronflow {Fmt.F1(c.Ms)} ms, hand-written {Fmt.F1(r.Ms)} ms");
        }

        await Measure.ThroughputAsync(host, 20, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), ParallelStarts, Timeout, Measure.CronflowCompleted);
        await Measure.ThroughputAsync(host, 20, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), ParallelStarts, Timeout, Measure.RawCompleted);
        Console.WriteLine();
    }

    /// <summary>P1 on Azurite: throughput of 3-step workflows and history events per step read back from storage.</summary>
    public static async Task<List<BarResult>> ThroughputAsync(BenchHost host, Settings settings)
    {
        var runs = settings.AzuriteThroughputRuns;
        Console.WriteLine($"== P1 Azurite: 3-step sequential workflows, throughput; {settings.AzuriteThroughputRounds} rounds of {runs} runs per side ({ParallelStarts} concurrent start calls), alternating ==");
        var paired = await Measure.AlternateAsync(
            settings.AzuriteThroughputRounds,
            () => Measure.ThroughputAsync(host, runs, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), ParallelStarts, BatchTimeout, Measure.CronflowCompleted, tolerateStall: true),
            () => Measure.ThroughputAsync(host, runs, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), ParallelStarts, BatchTimeout, Measure.RawCompleted, tolerateStall: true),
            Fmt.F1);

        var cronflow = await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.Sequence3, new { n = 0 }), Timeout, Measure.CronflowCompleted);
        var raw = await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 3)), Timeout, Measure.RawCompleted);
        var cStored = await host.CountStoredHistoryAsync(cronflow.Id, cronflow.Finished.ExecutionId) ?? 0;
        var rStored = await host.CountStoredHistoryAsync(raw.Id, raw.Finished.ExecutionId) ?? 0;
        Console.WriteLine($"    history events of one run, read back with GetOrchestrationHistoryAsync: cronflow {cStored} ({Fmt.F2(cStored / 3.0)} per step), hand-written {rStored} ({Fmt.F2(rStored / 3.0)} per step)");
        Console.WriteLine($"    (in the committed runtime state: cronflow {cronflow.Finished.HistoryEvents}, hand-written {raw.Finished.HistoryEvents})");
        Console.WriteLine();
        return
        [
            new BarResult("P1", "Azurite", $"ratio={Fmt.F2(paired.Ratio.Median)}", "bar>=0.90", paired.Ratio.Median >= 0.9,
                $"cronflow {Fmt.F1(paired.Cronflow.Median)} runs/s vs hand-written {Fmt.F1(paired.Raw.Median)} runs/s; ratio min–max {Fmt.F2(paired.Ratio.Min)}–{Fmt.F2(paired.Ratio.Max)}; by CPU time per run {Fmt.F2(paired.CpuRatio.Median)}{paired.StallNote}"),
            new BarResult("P1", "Azurite history-events/step", $"cronflow={Fmt.F2(cStored / 3.0)} raw={Fmt.F2(rStored / 3.0)}", "bar=same", cStored == rStored,
                "read back from the History table"),
        ];
    }

    /// <summary>P6: 5-step sequential workflows on Azurite: latency of single runs, and throughput against the hand-written orchestrator.</summary>
    public static async Task<List<BarResult>> SequentialAsync(BenchHost host, Settings settings)
    {
        Console.WriteLine($"== P6 Azurite: 5-step sequential workflow; latency of {settings.AzuriteLatencyRuns} single runs per side, alternating (start call to final commit) ==");
        var cLatency = new List<double>();
        var rLatency = new List<double>();
        for (var i = 0; i < settings.AzuriteLatencyRuns; i++)
        {
            if (i % 2 == 0)
            {
                cLatency.Add((await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.Sequence5, new { n = 0 }), Timeout, Measure.CronflowCompleted)).Ms);
                rLatency.Add((await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 5)), Timeout, Measure.RawCompleted)).Ms);
            }
            else
            {
                rLatency.Add((await Measure.LatencyAsync(host, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 5)), Timeout, Measure.RawCompleted)).Ms);
                cLatency.Add((await Measure.LatencyAsync(host, () => host.StartCronflowAsync(BenchWorkflows.Sequence5, new { n = 0 }), Timeout, Measure.CronflowCompleted)).Ms);
            }
        }

        var c = Stats.Of(cLatency);
        var r = Stats.Of(rLatency);
        Console.WriteLine($"    cronflow      {c.Format(Fmt.F1, " ms")}");
        Console.WriteLine($"    hand-written  {r.Format(Fmt.F1, " ms")}");

        var runs = settings.AzuriteThroughputRuns;
        Console.WriteLine($"  throughput: {settings.AzuriteThroughputRounds} rounds of {runs} runs per side ({ParallelStarts} concurrent start calls), alternating");
        var paired = await Measure.AlternateAsync(
            settings.AzuriteThroughputRounds,
            () => Measure.ThroughputAsync(host, runs, () => host.StartCronflowAsync(BenchWorkflows.Sequence5, new { n = 0 }), ParallelStarts, BatchTimeout, Measure.CronflowCompleted, tolerateStall: true),
            () => Measure.ThroughputAsync(host, runs, () => host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, 5)), ParallelStarts, BatchTimeout, Measure.RawCompleted, tolerateStall: true),
            Fmt.F1);
        Console.WriteLine();
        return
        [
            new BarResult("P6", "Azurite 5-step latency", $"median={Fmt.N0(c.Median)}ms", "bar<=400ms", c.Median <= 400,
                $"min–max {Fmt.N0(c.Min)}–{Fmt.N0(c.Max)} ms; hand-written median {Fmt.N0(r.Median)} ms"),
            new BarResult("P6", "Azurite 5-step throughput", $"ratio={Fmt.F2(paired.Ratio.Median)}", "bar>=0.90", paired.Ratio.Median >= 0.9,
                $"cronflow {Fmt.F1(paired.Cronflow.Median)} runs/s vs hand-written {Fmt.F1(paired.Raw.Median)} runs/s; ratio min–max {Fmt.F2(paired.Ratio.Min)}–{Fmt.F2(paired.Ratio.Max)}; by CPU time per run {Fmt.F2(paired.CpuRatio.Median)}{paired.StallNote}"),
        ];
    }
}
