using Cronflow.Hosting;

namespace Cronflow.Tests.Engine;

/// <summary>While: loops, their iteration limit and continue-as-new.</summary>
public sealed class WhileTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task While_LoopsUntilConditionFails()
    {
        var wf = Workflow.Define("poll")
            .Step("start", ctx => new { pending = true, count = 0 })
            .While("poll", ctx => ctx.Last["pending"].As<bool>(), async ctx =>
            {
                await Task.Yield();
                var count = ctx.Last["count"].As<int>() + 1;
                return new { pending = count < 5, count };
            }, maxIterations: 10);

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(5, run.Output["count"].As<int>());
        Assert.Equal("5 iterations", run.Step("poll").Detail);
    }

    [Fact]
    public async Task While_ExceedsMaxIterations_FailsClearly()
    {
        var wf = Workflow.Define("runaway").While("spin", ctx => true, ctx => Task.FromResult(1), maxIterations: 3);

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.MaxIterationsExceeded, run.Error!.Code);
        Assert.Equal("While 'spin' reached its limit of 3 iterations and its condition still holds.", run.Error.Message);
    }

    [Fact]
    public async Task While_LongLoop_ContinuesAsNewKeepingStateAndPendingEvents()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("long-loop")
            .Step("prefix", ctx => "n=")
            .While("count", ctx => ctx.Last["n"].IsNull || ctx.Last["n"].As<int>() < 250, ctx =>
                Task.FromResult(new { n = ctx.Last["n"].IsNull ? 1 : ctx.Last["n"].As<int>() + 1 }), maxIterations: 1000)
            .WaitForEvent("finish")
            .Step("done", ctx => ctx.Steps["prefix"].Output.As<string>() + ctx.Steps["count"].Output["n"].As<int>() + "/" + ctx.Last["tag"].As<string>())));

        var runId = await host.Client.TriggerAsync("long-loop", null);

        // Raised while the loop is still running (possibly across a continue-as-new): it must not be lost.
        await host.Client.RaiseEventAsync(runId, "finish", new { tag = "kept" });
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal("n=250/kept", run.Output.As<string>());
        Assert.Equal("250 iterations", run.Steps.Single(s => s.Name == "count").Detail);
        Assert.Equal(["prefix", "count", "wait-1", "done"], run.Steps.Select(s => s.Name));
    }
}
