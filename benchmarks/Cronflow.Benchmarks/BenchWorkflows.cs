using Cronflow.Benchmarks.Harness;

namespace Cronflow.Benchmarks;

/// <summary>The Cronflow side of every scenario. Each has a hand-written twin in <see cref="HandWritten"/>.</summary>
internal static class BenchWorkflows
{
    public const string Sequence3 = "seq-3";
    public const string Sequence5 = "seq-5";
    public const string FanOut50 = "fanout-50";
    public const string FanOut1 = "fanout-1";
    public const string FanOut10 = "fanout-10";
    public const string Window40 = "window-40";
    public const string Waves40 = "waves-40";
    public const string Race = "race";
    public const string TimeoutWon = "timeout-won";
    public const string TimeoutFires = "timeout-fires";
    public const string Payload50 = "payload-50";
    public const string PayloadChunks = "payload-chunks";
    public const string PayloadRead = "payload-read";
    public const string Sleeping = "sleeping";

    /// <summary>The block names the scenarios read step records of.</summary>
    public const string FanOutBlock = "fanout";
    public const string WindowBlock = "window";

    public static void Register(CronflowBuilder builder)
    {
        builder
            .AddWorkflow(Sequence(Sequence3, 3))
            .AddWorkflow(Sequence(Sequence5, 5))
            .AddWorkflow(FanOut(FanOut50, Shapes.FanOutBranches))
            .AddWorkflow(FanOut(FanOut1, 1))
            .AddWorkflow(Workflow.Define(FanOut10).Parallel(new ParallelOptions { Name = FanOutBlock }, Enumerable.Repeat(0, Shapes.WaitFanOutBranches).Select(Delay).ToArray()))
            .AddWorkflow(Workflow.Define(Window40).Parallel(
                new ParallelOptions { Name = WindowBlock, MaxConcurrency = Shapes.Window },
                Shapes.SkewedDurationsMs.Select(Delay).ToArray()))
            .AddWorkflow(Waves())
            .AddWorkflow(Workflow.Define(Race)
                .Race(new RaceOptions { Name = "race" }, Stamped("fast", Shapes.RaceFastMs), Stamped("slow", Shapes.RaceSlowMs))
                .Step("next", ctx => Mark(ctx, "next")))
            .AddWorkflow(Workflow.Define(TimeoutWon)
                .Step("work", async ctx => await StampedBody(ctx, "work", Shapes.QuickWorkMs)).Timeout(TimeSpan.FromMilliseconds(Shapes.LongTimeoutMs))
                .Step("next", ctx => Mark(ctx, "next")))
            .AddWorkflow(Workflow.Define(TimeoutFires)
                .Step("work", async ctx => await StampedBody(ctx, "work", Shapes.SlowWorkMs)).Timeout(TimeSpan.FromMilliseconds(Shapes.ShortTimeoutMs))
                .OnError(ctx => Mark(ctx, "fallback"))
                .Step("next", ctx => Mark(ctx, "next")))
            .AddWorkflow(Payload())
            .AddWorkflow(PayloadChunked())
            .AddWorkflow(PayloadReadBySteps())
            .AddWorkflow(Workflow.Define(Sleeping)
                .Step("prepare", ctx => new { n = ctx.Payload["n"].As<int>() + 1 })
                .Sleep(Shapes.SleepFor));
    }

    /// <summary>Steps s0…s(n-1), each adding one to <c>n</c>: the first reads the payload, the others <c>Last</c>.</summary>
    private static IWorkflowBuilder Sequence(string id, int steps)
    {
        var wf = Workflow.Define(id);
        for (var i = 0; i < steps; i++)
        {
            wf = i == 0
                ? wf.Step($"s{i}", ctx => new { n = ctx.Payload["n"].As<int>() + 1 })
                : wf.Step($"s{i}", ctx => new { n = ctx.Last["n"].As<int>() + 1 });
        }

        return wf;
    }

    private static IWorkflowBuilder FanOut(string id, int branches) =>
        Workflow.Define(id).Parallel(
            new ParallelOptions { Name = FanOutBlock },
            Enumerable.Repeat(Shapes.FanOutDelayMs, branches).Select(Delay).ToArray());

    private static IWorkflowBuilder Waves()
    {
        var wf = Workflow.Define(Waves40);
        var wave = 0;
        foreach (var durations in Shapes.SkewedDurationsMs.Chunk(Shapes.Window))
        {
            wf = wf.Parallel(new ParallelOptions { Name = $"wave{wave++}" }, durations.Select(Delay).ToArray());
        }

        return wf;
    }

    private static IWorkflowBuilder Payload()
    {
        var wf = Workflow.Define(Payload50);
        for (var i = 0; i < Shapes.PayloadSteps; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", ctx => new { i = index, blob = Shapes.Blob });
        }

        return wf;
    }

    /// <summary>Steps that each read the run's payload (a large one, in P7).</summary>
    private static IWorkflowBuilder PayloadReadBySteps()
    {
        var wf = Workflow.Define(PayloadRead);
        for (var i = 0; i < Shapes.PayloadSteps; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", ctx => new { i = index, size = ctx.Payload["blob"].As<string>().Length });
        }

        return wf;
    }

    /// <summary>
    /// A 100 KB output, then a for-each in chunks (sub-orchestrations) whose body has a condition that reads that output
    /// and a step that reads it too.
    /// </summary>
    private static IWorkflowBuilder PayloadChunked() =>
        Workflow.Define(PayloadChunks)
            .Step("big", _ => new { size = Shapes.ChunkedBigChars, blob = new string('b', Shapes.ChunkedBigChars) })
            .ForEach(
                "each",
                _ => Enumerable.Range(0, Shapes.ChunkedItems),
                (item, body) => body
                    .If("reads-big", ctx => ctx.Steps["big"].Output["size"].As<int>() > 0)
                        .Step("item", ctx => new { item = ctx.Last.As<int>(), size = ctx.Steps["big"].Output["blob"].As<string>().Length })
                    .EndIf(),
                new ForEachOptions { ChunkSize = Shapes.ChunkedItems / Shapes.Chunks });

    private static Func<StepContext, Task<object?>> Delay(int ms) => async ctx =>
    {
        await Task.Delay(ms, ctx.CancellationToken);
        return ms;
    };

    private static Func<StepContext, Task<object?>> Stamped(string name, int ms) => async ctx => await StampedBody(ctx, name, ms);

    private static async Task<object?> StampedBody(StepContext ctx, string name, int ms)
    {
        Stamps.Mark(ctx.Run.Id, name + ":start");
        await Task.Delay(ms, ctx.CancellationToken);
        Stamps.Mark(ctx.Run.Id, name + ":end");
        return name;
    }

    private static string Mark(StepContext ctx, string name)
    {
        Stamps.Mark(ctx.Run.Id, name + ":start");
        return name;
    }
}
