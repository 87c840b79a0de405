using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Cronflow.Benchmarks.Harness;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow.Benchmarks.Micro;

/// <summary>
/// Micro-benchmarks (BenchmarkDotNet) of the two halves of one workflow step, without dispatchers, queues or other
/// threads: replaying an orchestration's recorded history through the shim (what every episode costs the
/// orchestrator), and running one activity through the shim (deserialize the input, run the body, serialize the
/// result). Each compares Cronflow with the hand-written equivalent, on histories and inputs recorded from real runs.
/// </summary>
internal static class MicroBenchmarks
{
    public static void Run()
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "cronflow-benchmarks"));
        BenchmarkRunner.Run<ReplayBenchmarks>(config);
        BenchmarkRunner.Run<ActivityBenchmarks>(config);
    }

    /// <summary>
    /// Runs both sides of one micro-benchmark in alternating rounds for <paramref name="duration"/> and reports, per
    /// call, the process CPU time (which other processes on a shared machine disturb far less than wall time), the wall
    /// time and the bytes allocated. A profiler can attach meanwhile.
    /// </summary>
    /// <param name="which">The micro-benchmark: <c>replay</c>, <c>replay-fanout</c> or <c>activity</c>.</param>
    /// <param name="duration">How long to run.</param>
    /// <param name="floor">Replays Cronflow's histories with <see cref="FloorOrchestrator"/> instead of the interpreter.</param>
    public static async Task SoakAsync(string which, TimeSpan duration, bool floor = false)
    {
        Console.WriteLine($"== soak: {which} micro-benchmark{(floor && which != "activity" ? " (Cronflow's side on the floor orchestrator)" : "")}, both sides in alternating rounds of 2,000 calls, for {duration.TotalSeconds:F0} s (process id {Environment.ProcessId}) ==");
        Func<object> cronflow, raw;
        Func<Task> cleanup;
        if (which is "replay" or "replay-fanout")
        {
            var replay = new ReplayBenchmarks { Steps = 3, FanOut = which == "replay-fanout", Floor = floor };
            await replay.SetupAsync();
            (cronflow, raw, cleanup) = (replay.Cronflow, replay.HandWritten, replay.CleanupAsync);
        }
        else
        {
            var activity = new ActivityBenchmarks();
            await activity.SetupAsync();
            (cronflow, raw, cleanup) = (() => activity.Cronflow().GetAwaiter().GetResult(), () => activity.HandWritten().GetAwaiter().GetResult(), activity.CleanupAsync);
        }

        var sides = new[] { ("cronflow", cronflow, new List<(double Cpu, double Wall, double Bytes)>()), ("hand-written", raw, new List<(double Cpu, double Wall, double Bytes)>()) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        const int calls = 2000;
        for (var round = 0; clock.Elapsed < duration; round++)
        {
            foreach (var (_, body, samples) in round % 2 == 0 ? sides : sides.Reverse())
            {
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var wall = System.Diagnostics.Stopwatch.GetTimestamp();
                for (var i = 0; i < calls; i++)
                {
                    GC.KeepAlive(body());
                }

                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(wall);
                process.Refresh();
                samples.Add(((process.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / calls, elapsed.TotalMilliseconds * 1000 / calls, (GC.GetAllocatedBytesForCurrentThread() - bytes) / (double)calls));
            }
        }

        foreach (var (name, _, samples) in sides)
        {
            // The first rounds run before tiered compilation settles.
            var settled = samples.Skip(samples.Count / 4).ToList();
            Console.WriteLine($"    {name,-13} CPU {Stats.Of(settled.Select(x => x.Cpu)).Format(Fmt.F2, " µs")}; wall median {Fmt.F2(Stats.Of(settled.Select(x => x.Wall)).Median)} µs; allocated {Fmt.N0(Stats.Of(settled.Select(x => x.Bytes)).Median)} B/call");
        }

        var c = Stats.Of(sides[0].Item3.Skip(sides[0].Item3.Count / 4).Select(x => x.Cpu)).Median;
        var r = Stats.Of(sides[1].Item3.Skip(sides[1].Item3.Count / 4).Select(x => x.Cpu)).Median;
        Console.WriteLine($"    CPU per call, cronflow / hand-written: {Fmt.F2(c / r)}");
        await cleanup();
    }

    internal static DurableTaskShimFactory ShimFactory() => new(
        new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(CronflowJson.Options) },
        NullLoggerFactory.Instance);
}

/// <summary>Replays the complete history of an n-step sequential run (the last episode of the run), Cronflow against hand-written.</summary>
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private BenchHost _host = null!;
    private DurableTaskShimFactory _factory = null!;
    private ITaskOrchestrator _cronflow = null!;
    private ITaskOrchestrator _raw = null!;
    private HistoryEvent[] _cronflowHistory = [];
    private HistoryEvent[] _rawHistory = [];

    [Params(3, 5)]
    public int Steps { get; set; }

    /// <summary>Replays a 10-way fan-out and join instead of the sequence (the soak's <c>replay-fanout</c>).</summary>
    public bool FanOut { get; set; }

    /// <summary>Replays Cronflow's history with <see cref="FloorOrchestrator"/> instead of the interpreter (<c>--floor</c>).</summary>
    public bool Floor { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _host = await BenchHost.StartAsync(Engine.InMemory);
        _host.Tracker.CaptureHistory = true;
        var timeout = TimeSpan.FromSeconds(30);
        var workflow = Steps == 3 ? BenchWorkflows.Sequence3 : BenchWorkflows.Sequence5;
        var cronflow = FanOut
            ? await Measure.LatencyAsync(_host, () => _host.StartCronflowAsync(BenchWorkflows.FanOut10, null), timeout, Measure.CronflowCompleted)
            : await Measure.LatencyAsync(_host, () => _host.StartCronflowAsync(workflow, new { n = 0 }), timeout, Measure.CronflowCompleted);
        var raw = FanOut
            ? await Measure.LatencyAsync(_host, () => _host.StartRawAsync(RawNames.FanOut, new FanOutInput(new int[Shapes.WaitFanOutBranches], 0, 0)), timeout, Measure.RawCompleted)
            : await Measure.LatencyAsync(_host, () => _host.StartRawAsync(RawNames.Sequence, new SequenceInput(0, Steps)), timeout, Measure.RawCompleted);
        _cronflowHistory = UpToLastResult(cronflow.Finished.History!);
        _rawHistory = UpToLastResult(raw.Finished.History!);
        _factory = MicroBenchmarks.ShimFactory();
        var orchestrator = _host.Services.GetRequiredService<WorkflowOrchestrator>();
        _cronflow = Floor ? new FloorOrchestrator(orchestrator, _host.Services.GetRequiredService<WorkflowRegistry>()) : orchestrator;
        _raw = FanOut ? new RawFanOut() : new RawSequence();
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _host.DisposeAsync();

    [Benchmark(Baseline = true)]
    public OrchestratorExecutionResult HandWritten() => Replay(_raw, FanOut ? RawNames.FanOut : RawNames.Sequence, _rawHistory);

    [Benchmark]
    public OrchestratorExecutionResult Cronflow() => Replay(_cronflow, WorkflowOrchestrator.Name, _cronflowHistory);

    /// <summary>What the orchestration dispatcher does for an episode: a fresh shim, the runtime state, the executor.</summary>
    private OrchestratorExecutionResult Replay(ITaskOrchestrator orchestrator, string name, HistoryEvent[] history)
    {
        var shim = _factory.CreateOrchestration(new TaskName(name), orchestrator);
        var state = new OrchestrationRuntimeState(history);
        var executor = new TaskOrchestrationExecutor(state, shim, BehaviorOnContinueAsNew.Carryover, ErrorPropagationMode.UseFailureDetails);
        var result = executor.Execute();
        _ = shim.GetStatus();
        return result;
    }

    /// <summary>The history the last episode starts from: everything up to the last activity result.</summary>
    private static HistoryEvent[] UpToLastResult(IReadOnlyList<HistoryEvent> events)
    {
        var last = events.Select((e, i) => (e, i)).Last(x => x.e is TaskCompletedEvent).i;
        return events.Take(last + 1).ToArray();
    }
}

/// <summary>Runs one activity through the shim with an input recorded from a real run (the second step of a 3-step run).</summary>
[MemoryDiagnoser]
public class ActivityBenchmarks
{
    private BenchHost _host = null!;
    private DurableTaskShimFactory _factory = null!;
    private ITaskActivity _cronflow = null!;
    private ITaskActivity _raw = null!;
    private string _cronflowInput = "";
    private string _rawInput = "";
    private OrchestrationInstance _instance = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _host = await BenchHost.StartAsync(Engine.InMemory);
        var timeout = TimeSpan.FromSeconds(30);
        var cronflowId = RunRequests.NewRunId();
        var cronflowTally = _host.Tracker.Tally(cronflowId, keepInputs: true);
        await Measure.LatencyAsync(_host, () => _host.Cronflow.TriggerAsync(BenchWorkflows.Sequence3, new { n = 0 }, cronflowId), timeout, Measure.CronflowCompleted);
        var rawId = RunRequests.NewRunId();
        var rawTally = _host.Tracker.Tally(rawId, keepInputs: true);
        await Measure.LatencyAsync(_host, async () => (await _host.Raw.CreateOrchestrationInstanceAsync(RawNames.Sequence, string.Empty, rawId, new SequenceInput(0, 3))).InstanceId, timeout, Measure.RawCompleted);
        _cronflowInput = cronflowTally.KeptInputs![1]!;
        _rawInput = rawTally.KeptInputs![1]!;
        _instance = new OrchestrationInstance { InstanceId = cronflowId, ExecutionId = "e" };
        _factory = MicroBenchmarks.ShimFactory();
        _cronflow = _host.Services.GetRequiredService<StepActivity>();
        _raw = new AddActivity();
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _host.DisposeAsync();

    [Benchmark(Baseline = true)]
    public Task<string> HandWritten() => _factory.CreateActivity(new TaskName(RawNames.Add), _raw).RunAsync(new TaskContext(_instance), _rawInput);

    [Benchmark]
    public Task<string> Cronflow() => _factory.CreateActivity(new TaskName(StepActivity.Name), _cronflow).RunAsync(new TaskContext(_instance), _cronflowInput);
}
