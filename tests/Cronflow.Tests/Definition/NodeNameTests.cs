using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// The names the model keeps for its nodes.
/// </summary>
public sealed class NodeNameTests
{
    [Fact]
    public void StepNames_MixedNodes_InDefinitionOrderWithoutForEachBodies()
    {
        var definition = Workflow.Define("names")
            .Step("a", _ => 1)
            .Action("notify", _ => 2)
            .If("cond", _ => true).Step("b", _ => 3).ElseIf("other", _ => false).Step("c", _ => 4).EndIf()
            .Parallel(Branch)
            .ForEach("each", _ => new[] { 1 }, (item, flow) => flow.Step("inner", _ => item))
            .Race(Branch)
            .Build();

        Assert.Equal(["a", "notify", "cond", "b", "c", "parallel-1", "each", "race-1"], definition.StepNames);
    }

    [Fact]
    public void Build_UnnamedBlocks_GetNumberedAutoNames()
    {
        var definition = Workflow.Define("auto")
            .Parallel(Branch)
            .Parallel(Branch)
            .Race(Branch)
            .Build();

        Assert.Equal(["parallel-1", "parallel-2", "race-1"], definition.StepNames);
    }

    [Fact]
    public void Build_UnnamedBlocks_SkipNamesTheUserTook()
    {
        var definition = Workflow.Define("auto")
            .Step("parallel-1", _ => 1)
            .Parallel(Branch)
            .Parallel(new ParallelOptions { Name = "fan-out" }, Branch)
            .Parallel(Branch)
            .Race(Branch)
            .Race(new RaceOptions { Name = "race-1" }, Branch)
            .Build();

        Assert.Equal(["parallel-1", "parallel-2", "fan-out", "parallel-3", "race-2", "race-1"], definition.StepNames);
    }

    [Fact]
    public void Build_UnnamedBlocksInsideIf_NumberedAcrossWorkflow()
    {
        var definition = Workflow.Define("auto")
            .Parallel(Branch)
            .If("cond", _ => true).Parallel(Branch).Else().Parallel(Branch).EndIf()
            .Build();

        Assert.Equal(["parallel-1", "cond", "parallel-2", "parallel-3"], definition.StepNames);
    }

    [Fact]
    public void Build_DefaultOptions_NameDefaultsToId()
    {
        var definition = Workflow.Define("orders", o => { o.Description = "d"; o.Tags = ["x"]; o.Concurrency = 2; o.Timeout = TimeSpan.FromMinutes(1); })
            .Step("a", _ => 1)
            .Build();

        Assert.Equal("orders", definition.Name);
        Assert.Equal("d", definition.Description);
        Assert.Equal(["x"], definition.Tags);
        Assert.Equal(2, definition.Concurrency);
        Assert.Equal(TimeSpan.FromMinutes(1), definition.Timeout);
    }
}
