using System.Text.Json;
using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// The stable paths the model gives its nodes (the activity key, and the name in logs and errors).
/// </summary>
public sealed class NodePathTests
{
    private static readonly IReadOnlyList<JsonElement> NoItems = [];

    private static List<string> Paths(IEnumerable<Node> nodes) => NodeWalker.Walk(nodes).Select(n => n.Path).ToList();

    private static WorkflowDefinition Conditional() => Workflow.Define("conditional")
        .Step("start", _ => 1)
        .If("high", _ => true)
            .Step("h1", _ => 1)
            .Step("h2", _ => 2)
        .ElseIf("medium", _ => true)
            .Step("m1", _ => 3)
        .Else()
            .Step("e1", _ => 4)
        .EndIf()
        .Step("end", _ => 5)
        .Build();

    [Fact]
    public void Nodes_TopLevel_PathsAreIndexes()
    {
        var definition = Workflow.Define("flat")
            .Step("a", _ => 1)
            .Action("b", _ => 2)
            .Parallel(Branch, Branch)
            .Race(Branch)
            .Build();

        Assert.Equal(["0", "1", "2", "3"], definition.Nodes.Select(n => n.Path));
        Assert.Equal(["step", "action", "parallel", "race"], definition.Nodes.Select(n => n.Kind));
    }

    [Fact]
    public void Nodes_IfBranches_PathsFollowScheme()
    {
        var definition = Conditional();

        var ifNode = Assert.IsType<IfNode>(definition.Nodes[1]);
        Assert.Equal("1", ifNode.Path);
        Assert.Equal(["b0", "b1"], ifNode.Branches.Select(b => b.Segment));
        Assert.Equal(["high", "medium"], ifNode.Branches.Select(b => b.Name));
        Assert.Equal(["1/b0/0", "1/b0/1"], ifNode.Branches[0].Nodes.Select(n => n.Path));
        Assert.Equal(["1/b1/0"], ifNode.Branches[1].Nodes.Select(n => n.Path));
        Assert.Equal(["1/else/0"], ifNode.Else!.Select(n => n.Path));
        Assert.Equal("2", definition.Nodes[2].Path);
        Assert.Equal(["0", "1", "1/b0/0", "1/b0/1", "1/b1/0", "1/else/0", "2"], Paths(definition.Nodes));
    }

    [Theory]
    [InlineData("0", "start")]
    [InlineData("1", "high")]
    [InlineData("1/b0/0", "h1")]
    [InlineData("1/b0/1", "h2")]
    [InlineData("1/b1/0", "m1")]
    [InlineData("1/else/0", "e1")]
    [InlineData("2", "end")]
    public void FindNode_IfPaths_FindsNamedNode(string path, string name)
    {
        var node = Conditional().FindNode(path, NoItems);

        Assert.NotNull(node);
        Assert.Equal(name, node.Name);
        Assert.Equal(path, node.Path);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("1/b2/0")]
    [InlineData("1/b0/2")]
    [InlineData("1/else/1")]
    [InlineData("")]
    public void FindNode_UnknownPath_ReturnsNull(string path)
    {
        Assert.Null(Conditional().FindNode(path, NoItems));
    }

    [Fact]
    public void Nodes_NestedIf_PathsNest()
    {
        var definition = Workflow.Define("nested")
            .If("outer", _ => true)
                .Step("a", _ => 1)
                .If("inner", _ => true)
                    .Step("b", _ => 2)
                .Else()
                    .Step("c", _ => 3)
                .EndIf()
            .EndIf()
            .Build();

        Assert.Equal(["0", "0/b0/0", "0/b0/1", "0/b0/1/b0/0", "0/b0/1/else/0"], Paths(definition.Nodes));
        Assert.Equal(["outer", "a", "inner", "b", "c"], definition.StepNames);
    }

    [Fact]
    public void Resolve_StepPaths_FindsStepBodies()
    {
        var definition = Conditional();

        Assert.Equal("start", definition.Resolve("0", null)!.Name);
        Assert.Equal("h2", definition.Resolve("1/b0/1", null)!.Name);
        Assert.Equal("e1", definition.Resolve("1/else/0", null)!.Name);
        Assert.Null(definition.Resolve("1", null));
    }

    [Fact]
    public void Resolve_ParallelAndRaceBranches_CallableAtBlockPathSlashIndex()
    {
        var definition = Workflow.Define("blocks")
            .Step("a", _ => 1)
            .Parallel(Branch, Branch, Branch)
            .Race(new RaceOptions { Name = "fastest" }, Branch, Branch)
            .Build();

        Assert.Equal("parallel-1[0]", definition.Resolve("1/0", null)!.Name);
        Assert.Equal("parallel-1[2]", definition.Resolve("1/2", null)!.Name);
        Assert.Null(definition.Resolve("1/3", null));
        Assert.Null(definition.Resolve("1", null));
        Assert.Equal("fastest[0]", definition.Resolve("2/0", null)!.Name);
        Assert.Equal("fastest[1]", definition.Resolve("2/1", null)!.Name);
        Assert.Null(definition.Resolve("2/2", null));
    }

    [Fact]
    public void Resolve_OnErrorAndHooks_CallableAtSuffixAndHookPaths()
    {
        var definition = Workflow.Define("handlers", o =>
            {
                o.Hooks.OnSuccess = _ => Task.CompletedTask;
                o.Hooks.OnFailure = _ => Task.CompletedTask;
            })
            .Step("a", _ => 1).OnError(_ => 0)
            .Parallel(Branch).OnError(_ => 0)
            .Build();

        Assert.Equal("a", definition.Resolve("0#onError", null)!.Name);
        Assert.Equal("parallel-1", definition.Resolve("1#onError", null)!.Name);
        Assert.Equal("onSuccess", definition.Resolve("#onSuccess", null)!.Name);
        Assert.Equal("onFailure", definition.Resolve("#onFailure", null)!.Name);
        Assert.True(definition.HasOnSuccess);
        Assert.True(definition.HasOnFailure);
    }

    [Fact]
    public void Resolve_NoHooks_HookPathsAreNull()
    {
        var definition = Workflow.Define("plain").Step("a", _ => 1).Build();

        Assert.Null(definition.Resolve("#onSuccess", null));
        Assert.Null(definition.Resolve("0#onError", null));
        Assert.False(definition.HasOnSuccess);
    }

    [Fact]
    public void ForEach_Body_PathsUnderEach()
    {
        var definition = Workflow.Define("loop")
            .Step("users", _ => new[] { "ann", "bob" })
            .ForEach("each-user", ctx => ctx.Last.As<string[]>(), (user, flow) => flow
                .Step("greet", _ => $"hi {user}")
                .Parallel(Branch, Branch))
            .Build();

        var forEach = Assert.IsType<ForEachNode>(definition.Nodes[1]);
        Assert.Equal("1/each/", forEach.BodyPrefix);
        Assert.Equal(["1/each/0", "1/each/1"], forEach.Template!.Select(n => n.Path));
        Assert.Equal(["greet", "parallel-1"], forEach.Template!.Select(n => n.Name));

        IReadOnlyList<JsonElement> items = [JsonSerializer.SerializeToElement("ann")];
        Assert.Equal("greet", definition.FindNode("1/each/0", items)!.Name);
        Assert.Equal("greet", definition.Resolve("1/each/0", items)!.Name);
        Assert.Equal("parallel-1[1]", definition.Resolve("1/each/1/1", items)!.Name);
        Assert.Null(definition.Resolve("1/each/0", null));
        Assert.Null(definition.FindNode("1/each/0", NoItems));
    }

    [Fact]
    public void ForEach_Nested_PathsNestAndResolveWithItemChain()
    {
        var definition = Workflow.Define("grid")
            .ForEach("rows", _ => new[] { 1, 2 }, (row, rows) => rows
                .ForEach("cells", _ => new[] { 10, 20 }, (cell, cells) => cells
                    .Step("cell", _ => row * cell)))
            .Build();

        IReadOnlyList<JsonElement> items = [JsonSerializer.SerializeToElement(2), JsonSerializer.SerializeToElement(20)];
        var inner = Assert.IsType<ForEachNode>(definition.FindNode("0/each/0", [items[0]]));
        Assert.Equal("cells", inner.Name);
        Assert.Equal("0/each/0/each/", inner.BodyPrefix);
        Assert.Equal("cell", definition.FindNode("0/each/0/each/0", items)!.Name);
        Assert.Equal("cell", definition.Resolve("0/each/0/each/0", items)!.Name);
        Assert.Null(definition.Resolve("0/each/0/each/0", [items[0]]));
    }

    [Fact]
    public void Paths_SameDefinitionTwice_AreIdentical()
    {
        Assert.Equal(Paths(Conditional().Nodes), Paths(Conditional().Nodes));
    }

    [Fact]
    public void Paths_StepAddedAfterBlock_EarlierPathsUnchanged()
    {
        var before = Paths(Conditional().Nodes);

        var after = Paths(Workflow.Define("conditional")
            .Step("start", _ => 1)
            .If("high", _ => true).Step("h1", _ => 1).Step("h2", _ => 2)
            .ElseIf("medium", _ => true).Step("m1", _ => 3)
            .Else().Step("e1", _ => 4)
            .EndIf()
            .Step("end", _ => 5)
            .Step("extra", _ => 6)
            .Build().Nodes);

        Assert.Equal([.. before, "3"], after);
    }
}
