namespace Cronflow.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task TestAsync_ThreeSteps_CompletesWithLastOutput()
    {
        var wf = Workflow.Define("smoke")
            .Step("one", ctx => new { n = ctx.Payload["n"].As<int>() + 1 })
            .Step("two", async ctx => { await Task.Yield(); return ctx.Last["n"].As<int>() * 10; })
            .Step("three", ctx => ctx.Steps["one"].Output["n"].As<int>() + ctx.Last.As<int>());

        var run = await wf.TestAsync(new { n = 1 });

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(22, run.Output.As<int>());
        Assert.Equal(["one", "two", "three"], run.Steps.Select(s => s.Name));
    }
}
