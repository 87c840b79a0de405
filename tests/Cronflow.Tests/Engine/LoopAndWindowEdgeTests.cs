namespace Cronflow.Tests.Engine;

/// <summary>Edges of loops, for-each and retried blocks, run on the embedded engine.</summary>
public sealed class LoopAndWindowEdgeTests
{
    [Fact]
    public async Task ForEach_EmptyList_CompletesWithEmptyArray()
    {
        var wf = Workflow.Define("foreach-empty")
            .Step("get", _ => Array.Empty<int>())
            .ForEach("each", ctx => ctx.Last.As<int[]>(), (n, f) => f.Step("use", _ => n))
            .Step("after", ctx => ctx.Last.Items().Count());

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("[]", run.Step("each").Output!.Json.GetRawText());
        Assert.Equal(StepStatus.Completed, run.Step("each").Status);
        Assert.Equal("0 items", run.Step("each").Detail);
        Assert.Equal(0, run.Output.As<int>());
    }
}
