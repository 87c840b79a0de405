using System.Text;

namespace Cronflow.Tests.Engine;

/// <summary>
/// Payload growth (P7): what a run sends to activities and sub-orchestrations stays within three times the outputs its
/// steps produce, because outputs over the inline allowance travel by reference.
/// </summary>
public sealed class PayloadGrowthTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly string Kilobyte = new('x', 1000);
    private static readonly string HundredKilobytes = new('b', 100_000);

    [Fact]
    public async Task Steps_FiftyKilobyteOutputs_SendAtMostThreeTimesTheOutputs()
    {
        var wf = Workflow.Define("p7-steps");
        for (var i = 0; i < 50; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", _ => new { i = index, blob = Kilobyte });
        }

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("p7-steps", null), Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        var outputs = run.Steps.Sum(s => Bytes(s.Output));
        Assert.True(probe!.SentBytes <= 3 * outputs, $"sent {probe.SentBytes} B for {outputs} B of outputs");
    }

    [Fact]
    public async Task Steps_LastIsEarlierStepsInlineOutput_RequestCarriesItOnceAndBodySeesIt()
    {
        var wf = Workflow.Define("last-once")
            .Step("s0", _ => new { marker = "first-output" })
            .Step("s1", ctx => new { seen = ctx.Last["marker"].As<string>(), also = ctx.Steps["s0"].Output["marker"].As<string>() })
            .Step("s2", ctx => ctx.Last["seen"].As<string>() + "/" + ctx.Steps["s1"].Output["also"].As<string>());

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("last-once", null), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal("first-output/first-output", run.Output.As<string>());

        // s1 and s2 receive Last as the name of the step it came from, not as a second copy of that step's output.
        Assert.Equal(1, probe!.Scheduled("\"lastIs\":\"step:s0\""));
        Assert.Equal(1, probe.Scheduled("\"lastIs\":\"step:s1\""));
        Assert.Equal(0, probe.Scheduled("\"last\":"));
    }

    [Fact]
    public async Task ForEach_StepAfterStepInItem_LastIsTheNearestScopesOutput()
    {
        var wf = Workflow.Define("last-scopes")
            .Step("outer", _ => "outer")
            .ForEach("each", _ => new[] { 1, 2 }, (_, item) => item
                .Step("inner", ctx => "inner-" + ctx.Last.As<int>())
                .Step("after", ctx => ctx.Last.As<string>() + "+" + ctx.Steps["inner"].Output.As<string>() + "+" + ctx.Steps["outer"].Output.As<string>()))
            .Parallel(
                ctx => Task.FromResult<object?>(ctx.Last[1].As<string>()),
                ctx => Task.FromResult<object?>(ctx.Steps["outer"].Output.As<string>()));

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("last-scopes", null), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(["inner-2+inner-2+outer", "outer"], run.Output.As<string[]>());
        Assert.Equal(2, probe!.Scheduled("\"lastIs\":\"step:inner\""));
        Assert.Equal(2, probe.Scheduled("\"lastIs\":\"step:each\""));
    }

    [Fact]
    public async Task Steps_FiftyReadingHundredKilobytePayload_SendAtMostTwiceThePayloadAndNoStepReceivesIt()
    {
        var wf = Workflow.Define("p7-payload");
        for (var i = 0; i < 50; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", ctx => ctx.Payload["field"].As<string>() + index + ":" + ctx.Payload["blob"].As<string>().Length);
        }

        var payload = new { field = "f", blob = HundredKilobytes };
        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("p7-payload", payload), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"f{i}:{HundredKilobytes.Length}"), run.Steps.Select(s => s.Output!.As<string>()));

        // The payload was stored once when the run started: every step received its reference, none the payload.
        var payloadBytes = Bytes(FlowValue.From(payload));
        Assert.Equal(50, probe!.Scheduled("\"payloadRef\":"));
        Assert.Equal(0, probe.Scheduled(HundredKilobytes[..1000]));
        Assert.True(probe.SentBytes <= 2 * payloadBytes, $"sent {probe.SentBytes} B for a payload of {payloadBytes} B");
    }

    [Fact]
    public async Task ForEach_ChunksAfterLargeOutput_SendAtMostThreeTimesTheOutputsAndConditionsReadIt()
    {
        var wf = Workflow.Define("p7-chunks")
            .Step("big", _ => new { size = HundredKilobytes.Length, blob = HundredKilobytes })
            .ForEach(
                "each",
                _ => Enumerable.Range(0, 40),
                (item, body) => body
                    .If("uses-big", ctx => ctx.Steps["big"].Output["size"].As<int>() == HundredKilobytes.Length)
                        .Step("double", ctx => new { n = ctx.Last.As<int>() * 2, len = ctx.Steps["big"].Output["blob"].As<string>().Length })
                    .EndIf(),
                new ForEachOptions { ChunkSize = 4 })
            .Step("sum", ctx => ctx.Last.Items().Sum(v => v["n"].As<int>()));

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("p7-chunks", null), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(2 * Enumerable.Range(0, 40).Sum(), run.Output.As<int>());
        var each = run.Steps.Single(s => s.Name == "each").Output!;
        Assert.All(each.Items(), v => Assert.Equal(HundredKilobytes.Length, v["len"].As<int>()));

        // Each of the ten chunks fetched the output once, for its condition; none received it in its input.
        Assert.Equal(10, probe!.Scheduled(StepOutputKeys.ReadPath));
        var outputs = run.Steps.Sum(s => Bytes(s.Output));
        Assert.True(probe.SentBytes <= 3 * outputs, $"sent {probe.SentBytes} B for {outputs} B of outputs");
    }

    [Fact]
    public async Task Step_LastIsStoredOutput_ReadsItByReference()
    {
        var wf = Workflow.Define("last-by-ref")
            .Step("big", _ => new { marker = "m", blob = Kilobyte + Kilobyte + Kilobyte })
            .Step("reader", ctx => ctx.Last["marker"].As<string>() + ctx.Last["blob"].As<string>().Length);

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("last-by-ref", null), Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("m3000", run.Output.As<string>());
        Assert.Equal(1, probe!.Scheduled("\"lastRef\":"));
        Assert.Equal(0, probe.Scheduled(Kilobyte));
    }

    [Fact]
    public async Task While_NestedAfterLargeOutput_ConditionReadsLastAndStepsByReference()
    {
        var wf = Workflow.Define("nested-loop-refs")
            .Step("big", _ => new { limit = 3, blob = Kilobyte + Kilobyte + Kilobyte })
            .If("go", _ => true)
                .While(
                    "count",
                    ctx => (ctx.Last["n"].As<int?>() ?? 0) < ctx.Steps["big"].Output["limit"].As<int>(),
                    ctx => Task.FromResult(new { n = (ctx.Last["n"].As<int?>() ?? 0) + 1, first = ctx.Last["blob"].As<string>()?.Length }))
            .EndIf();

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("nested-loop-refs", null), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(3, run.Output["n"].As<int>());
        Assert.Equal(0, probe!.Scheduled(Kilobyte));

        // The loop's condition read Last and the limit, held only by reference (the same output): one fetch.
        Assert.Equal(1, probe.Scheduled(StepOutputKeys.ReadPath));
    }

    [Fact]
    public async Task Parallel_StoredBranchOutputs_NextStepReadsCombinedOutputByReference()
    {
        var wf = Workflow.Define("parallel-refs")
            .Parallel(
                new ParallelOptions { Name = "fan" },
                [.. Enumerable.Range(0, 3).Select(i => (Func<StepContext, Task<object?>>)(_ => Task.FromResult<object?>(new { i, blob = Kilobyte + Kilobyte })))])
            .Step("after", ctx => ctx.Last.Items().Sum(v => v["i"].As<int>() + v["blob"].As<string>().Length) + ctx.Steps["fan"].Output.Count);

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("parallel-refs", null), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(0 + 1 + 2 + (3 * 2000) + 3, run.Output.As<int>());
        Assert.Equal(0, probe!.Scheduled(Kilobyte));
    }

    private static int Bytes(FlowValue? value) => value is null || value.IsNull ? 0 : Encoding.UTF8.GetByteCount(value.ToString());
}
