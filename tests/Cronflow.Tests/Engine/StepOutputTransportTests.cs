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
}
