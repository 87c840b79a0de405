using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

public sealed class StepOutputTransportTests
{
    private static readonly string Kilobyte = new('k', 1024);

    [Fact]
    public async Task Steps_LargeEarlierOutputs_ReadThroughOutputCache()
    {
        var wf = Workflow.Define("large-outputs");
        for (var i = 0; i < 10; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", ctx => new { index, blob = Kilobyte });
        }

        wf = wf.Step("read-first", ctx => ctx.Steps["s0"].Output["index"].As<int>() + ctx.Steps["s9"].Output["index"].As<int>() + ctx.Last["index"].As<int>());

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(18, run.Output.As<int>());
        Assert.All(run.Steps, s => Assert.Equal(1, s.Attempts));
    }

    [Fact]
    public async Task Steps_OutputMissingOnThisHost_StepRunsAgainWithAllOutputs()
    {
        var counter = new AttemptCounter();
        var wf = Workflow.Define("cache-miss")
            .Step("big", ctx => new { blob = Kilobyte + Kilobyte + Kilobyte + Kilobyte + Kilobyte, marker = "first" })
            .Step("reader", ctx =>
            {
                // As if this step ran on a host that never saw the run's outputs. (Evicting in an earlier step would
                // not do: the orchestrator warms the cache again when it replays before scheduling this step.)
                ctx.Services.GetRequiredService<StepOutputCache>().Remove(ctx.Run.Id);
                ctx.Services.GetRequiredService<AttemptCounter>().Next("reader");
                return ctx.Steps["big"].Output["marker"].As<string>();
            });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(counter)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("first", run.Output.As<string>());
        Assert.Equal(2, counter.Count("reader"));
        Assert.Equal(1, run.Step("reader").Attempts);
    }

    [Fact]
    public async Task Steps_MissSwallowedByBody_StillRunsAgainWithAllOutputs()
    {
        var wf = Workflow.Define("swallowed-miss")
            .Step("big", ctx => new { blob = Kilobyte + Kilobyte + Kilobyte + Kilobyte + Kilobyte, marker = "kept" })
            .Step("careless", ctx =>
            {
                ctx.Services.GetRequiredService<StepOutputCache>().Remove(ctx.Run.Id);
                return ctx.Steps.TryGet("big", out var big) ? big.Output["marker"].As<string>() : "guessed";
            });

        var run = await wf.TestAsync(null);

        Assert.Equal("kept", run.Output.As<string>());
    }

    [Fact]
    public async Task Cache_RunCompletes_RunIsRemoved()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("tidy").Step("a", ctx => Kilobyte).Step("b", ctx => 1)));
        var cache = host.Services.GetRequiredService<StepOutputCache>();

        var runId = await host.Client.TriggerAsync("tidy", null);
        await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));

        Assert.False(cache.TryGet(runId, "", "a", out _));
    }

    [Fact]
    public async Task Cache_SmallOutputs_AreNotCached()
    {
        var wf = Workflow.Define("small-outputs")
            .Step("a", ctx => new { n = 1 })
            .Step("b", ctx => ctx.Services.GetRequiredService<StepOutputCache>().TryGet(ctx.Run.Id, "", "a", out _));

        var run = await wf.TestAsync(null);

        Assert.False(run.Output.As<bool>());
    }

    [Fact]
    public async Task Cache_OutputsOutgrowInlineLimit_EarlierAndLaterOutputsAreCached()
    {
        var wf = Workflow.Define("spilling")
            .Step("small", ctx => new { n = 1 })
            .Step("big", ctx => new { blob = Kilobyte + Kilobyte + Kilobyte + Kilobyte + Kilobyte })
            .Step("after", ctx => 3)
            .Step("check", ctx =>
            {
                var cache = ctx.Services.GetRequiredService<StepOutputCache>();
                return new[] { "small", "big", "after" }.All(name => cache.TryGet(ctx.Run.Id, "", name, out _));
            });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Output.As<bool>());
    }

    [Fact]
    public void Put_MoreRunsThanLimit_OldestRunsAreEvicted()
    {
        var cache = new StepOutputCache(maxRuns: 2);

        cache.Put("r1", "", "a", FlowValue.From(1));
        cache.Put("r2", "", "a", FlowValue.From(2));
        cache.Put("r2", "", "b", FlowValue.From(3));
        cache.Put("r3", "", "a", FlowValue.From(4));

        Assert.Equal(2, cache.RunCount);
        Assert.False(cache.TryGet("r1", "", "a", out _));
        Assert.True(cache.TryGet("r2", "", "b", out var b));
        Assert.Equal(3, b.As<int>());
        Assert.True(cache.TryGet("r3", "", "a", out _));
    }

    [Fact]
    public void Remove_EndedRuns_DoNotCountTowardsLimit()
    {
        var cache = new StepOutputCache(maxRuns: 2);

        for (var i = 0; i < 10; i++)
        {
            cache.Put($"ended{i}", "", "a", FlowValue.From(i));
            cache.Remove($"ended{i}");
        }

        cache.Put("live1", "", "a", FlowValue.From(1));
        cache.Put("live2", "", "a", FlowValue.From(2));

        Assert.Equal(2, cache.RunCount);
        Assert.True(cache.TryGet("live1", "", "a", out _));
        Assert.True(cache.TryGet("live2", "", "a", out _));
    }

    [Fact]
    public void TryGet_NameInEnclosingScope_IsFound()
    {
        var cache = new StepOutputCache();
        cache.Put("r", "", "outer", FlowValue.From("o"));
        cache.Put("r", "|0/1#2", "inner", FlowValue.From("i"));

        Assert.True(cache.TryGet("r", "|0/1#2", "outer", out var outer));
        Assert.Equal("o", outer.As<string>());
        Assert.True(cache.TryGet("r", "|0/1#2", "inner", out _));
        Assert.False(cache.TryGet("r", "", "inner", out _));
    }
}
