using System.Text.Json;

namespace Cronflow.Tests.Definition;

public sealed class WorkflowModelTests
{
    private static readonly IReadOnlyList<JsonElement> NoItems = [];

    private static Task<object?> Branch(StepContext context) => Task.FromResult<object?>(1);

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

    // ---- paths ----------------------------------------------------------------------------

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

    // ---- names ----------------------------------------------------------------------------

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

    // ---- fingerprint ----------------------------------------------------------------------

    private static string Fingerprint(Func<IWorkflowBuilder, IWorkflowBuilder> shape) =>
        shape(Workflow.Define("fp")).Build().Fingerprint;

    private static IWorkflowBuilder Baseline(IWorkflowBuilder wf) => wf
        .Step("fetch", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(1))).Timeout(TimeSpan.FromSeconds(30))
        .If("big", _ => true).Parallel(Branch, Branch).EndIf()
        .Step("save", _ => 2);

    [Fact]
    public void Fingerprint_IdenticalDefinitions_AreEqual()
    {
        var first = Fingerprint(Baseline);

        Assert.Equal(first, Fingerprint(Baseline));
        Assert.Matches("^[0-9a-f]{16}$", first);
    }

    [Fact]
    public void Fingerprint_DifferentBodiesSameShape_AreEqual()
    {
        var first = Fingerprint(wf => wf.Step("a", _ => 1));
        var second = Fingerprint(wf => wf.Step("a", _ => "something else"));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Fingerprint_StepAdded_Differs()
    {
        Assert.NotEqual(Fingerprint(Baseline), Fingerprint(wf => Baseline(wf).Step("extra", _ => 3)));
    }

    [Fact]
    public void Fingerprint_StepRenamed_Differs()
    {
        var renamed = Fingerprint(wf => wf
            .Step("fetch", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(1))).Timeout(TimeSpan.FromSeconds(30))
            .If("big", _ => true).Parallel(Branch, Branch).EndIf()
            .Step("store", _ => 2));

        Assert.NotEqual(Fingerprint(Baseline), renamed);
    }

    [Fact]
    public void Fingerprint_RetryAttemptsChanged_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Step("a", _ => 1).Retry(3)), Fingerprint(wf => wf.Step("a", _ => 1).Retry(4)));
    }

    [Fact]
    public void Fingerprint_RetryBackoffChanged_Differs()
    {
        Assert.NotEqual(
            Fingerprint(wf => wf.Step("a", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(1)))),
            Fingerprint(wf => wf.Step("a", _ => 1).Retry(3, Backoff.Exponential(TimeSpan.FromSeconds(1)))));
    }

    [Fact]
    public void Fingerprint_RetryAdded_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Step("a", _ => 1)), Fingerprint(wf => wf.Step("a", _ => 1).Retry(3)));
    }

    [Fact]
    public void Fingerprint_TimeoutChanged_Differs()
    {
        Assert.NotEqual(
            Fingerprint(wf => wf.Step("a", _ => 1).Timeout(TimeSpan.FromSeconds(30))),
            Fingerprint(wf => wf.Step("a", _ => 1).Timeout(TimeSpan.FromSeconds(31))));
    }

    [Fact]
    public void Fingerprint_StepBecomesAction_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Step("a", _ => 1)), Fingerprint(wf => wf.Action("a", _ => 1)));
    }

    [Fact]
    public void Fingerprint_ParallelBranchAdded_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Parallel(Branch, Branch)), Fingerprint(wf => wf.Parallel(Branch, Branch, Branch)));
    }

    [Fact]
    public void Fingerprint_ForEachBodyStepAdded_Differs()
    {
        var one = Fingerprint(wf => wf.ForEach("each", _ => new[] { 1 }, (i, f) => f.Step("x", _ => i)));
        var two = Fingerprint(wf => wf.ForEach("each", _ => new[] { 1 }, (i, f) => f.Step("x", _ => i).Step("y", _ => i)));

        Assert.NotEqual(one, two);
    }

    [Fact]
    public void Fingerprint_HookAdded_Differs()
    {
        var without = Workflow.Define("fp").Step("a", _ => 1).Build().Fingerprint;
        var with = Workflow.Define("fp", o => o.Hooks.OnFailure = _ => Task.CompletedTask).Step("a", _ => 1).Build().Fingerprint;

        Assert.NotEqual(without, with);
    }

    // ---- backoff --------------------------------------------------------------------------

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(10, 2)]
    public void DelayBefore_Fixed_AlwaysTheDelay(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Fixed(TimeSpan.FromSeconds(2)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 6)]
    [InlineData(10, 20)]
    public void DelayBefore_Linear_GrowsByTheDelay(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Linear(TimeSpan.FromSeconds(2)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 5)]
    [InlineData(100, 5)]
    public void DelayBefore_LinearWithMax_CappedAtMax(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Linear(TimeSpan.FromSeconds(2), max: TimeSpan.FromSeconds(5)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(6, 64)]
    public void DelayBefore_Exponential_Doubles(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Exponential(TimeSpan.FromSeconds(2)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 8)]
    [InlineData(4, 10)]
    [InlineData(5, 10)]
    [InlineData(1000, 10)]
    public void DelayBefore_ExponentialWithMax_CappedAtMax(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Exponential(TimeSpan.FromSeconds(2), max: TimeSpan.FromSeconds(10)).DelayBefore(retry));
    }

    [Fact]
    public void DelayBefore_ExponentialWithoutMaxManyRetries_SaturatesAtMaxValue()
    {
        Assert.Equal(TimeSpan.MaxValue, Backoff.Exponential(TimeSpan.FromSeconds(2)).DelayBefore(100));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void DelayBefore_RetryBelowOne_ThrowsArgumentOutOfRange(int retry)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Fixed(TimeSpan.FromSeconds(1)).DelayBefore(retry));

        Assert.Equal("retry", ex.ParamName);
        Assert.Equal((object)retry, ex.ActualValue);
    }

    [Fact]
    public void Backoff_Factories_SetKindDelayAndMax()
    {
        var backoff = Backoff.Exponential(TimeSpan.FromSeconds(2), max: TimeSpan.FromMinutes(1));

        Assert.Equal(BackoffKind.Exponential, backoff.Kind);
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Delay);
        Assert.Equal(TimeSpan.FromMinutes(1), backoff.Max);
        Assert.Null(Backoff.Fixed(TimeSpan.FromSeconds(1)).Max);
        Assert.Equal(BackoffKind.Linear, Backoff.Linear(TimeSpan.FromSeconds(1)).Kind);
    }

    // ---- schedules ------------------------------------------------------------------------

    private static ScheduleTrigger Cron(string cron, string? timeZone = null) =>
        Assert.Single(Workflow.Define("sched").OnSchedule(cron, timeZone).Step("a", _ => 1).Build().Schedules);

    private static ScheduleTrigger Every(TimeSpan interval) =>
        Assert.Single(Workflow.Define("sched").OnInterval(interval).Step("a", _ => 1).Build().Schedules);

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public void NextAfter_FiveFieldCronUtc_NextOccurrence()
    {
        var trigger = Cron("0 2 * * *");

        Assert.Equal(Utc(2024, 1, 1, 2), trigger.NextAfter(Utc(2024, 1, 1, 0)));
        Assert.Equal("cron:0 2 * * *@UTC", trigger.Key);
        Assert.Null(trigger.Interval);
    }

    [Fact]
    public void NextAfter_ExactlyAnOccurrence_ReturnsTheFollowingOne()
    {
        Assert.Equal(Utc(2024, 1, 2, 2), Cron("0 2 * * *").NextAfter(Utc(2024, 1, 1, 2)));
    }

    [Fact]
    public void NextAfter_SixFieldCron_HasSecondPrecision()
    {
        var trigger = Cron("*/15 * * * * *");

        Assert.Equal(Utc(2024, 1, 1, 10, 0, 15), trigger.NextAfter(Utc(2024, 1, 1, 10, 0, 7)));
        Assert.Equal(Utc(2024, 1, 1, 10, 1, 0), trigger.NextAfter(Utc(2024, 1, 1, 10, 0, 45)));
    }

    [Fact]
    public void NextAfter_ParisCron_FollowsLocalTimeAcrossSpringForward()
    {
        var trigger = Cron("0 9 * * *", "Europe/Paris");

        // 09:00 CET is 08:00 UTC before the change on 31 March 2024; 09:00 CEST is 07:00 UTC after it.
        Assert.Equal(Utc(2024, 3, 30, 8), trigger.NextAfter(Utc(2024, 3, 30, 0)));
        Assert.Equal(Utc(2024, 3, 31, 7), trigger.NextAfter(Utc(2024, 3, 30, 8)));
        Assert.Equal("cron:0 9 * * *@Europe/Paris", trigger.Key);
    }

    [Fact]
    public void NextAfter_ParisCronInSkippedHour_RunsAtTheTransition()
    {
        // 02:30 does not exist in Paris on 31 March 2024 (02:00 CET jumps to 03:00 CEST = 01:00 UTC).
        var next = Cron("30 2 * * *", "Europe/Paris").NextAfter(Utc(2024, 3, 30, 12));

        Assert.Equal(Utc(2024, 3, 31, 1), next);
    }

    [Fact]
    public void NextAfter_ParisCronInRepeatedHour_RunsOnce()
    {
        var trigger = Cron("30 2 * * *", "Europe/Paris");

        // 02:30 happens twice on 27 October 2024 (00:30 and 01:30 UTC); the schedule fires at the first only.
        var first = trigger.NextAfter(Utc(2024, 10, 26, 12));
        var second = trigger.NextAfter(first!.Value);

        Assert.Equal(Utc(2024, 10, 27, 0, 30), first);
        Assert.Equal(Utc(2024, 10, 28, 1, 30), second);
    }

    [Fact]
    public void NextAfter_Interval_AlignedToUnixEpoch()
    {
        var trigger = Every(TimeSpan.FromMinutes(15));

        Assert.Equal(Utc(2024, 1, 1, 10, 15), trigger.NextAfter(Utc(2024, 1, 1, 10, 7)));
        Assert.Equal(Utc(2024, 1, 1, 10, 30), trigger.NextAfter(Utc(2024, 1, 1, 10, 15)));
        Assert.Equal("every:900s", trigger.Key);
        Assert.Null(trigger.Cron);
    }

    [Fact]
    public void NextAfter_IntervalNotDividingADay_AlignedToEpochNotToMidnight()
    {
        // 2024-01-01T00:00Z is 1704067200 s after the epoch, 3 s past a multiple of 7.
        var next = Every(TimeSpan.FromSeconds(7)).NextAfter(Utc(2024, 1, 1, 0));

        Assert.Equal(Utc(2024, 1, 1, 0, 0, 4), next);
        Assert.Equal(0, (next!.Value.ToUnixTimeSeconds()) % 7);
    }

    [Fact]
    public void NextAfter_IntervalWithOffsetInput_ReturnsUtc()
    {
        var next = Every(TimeSpan.FromHours(1)).NextAfter(new DateTimeOffset(2024, 6, 1, 12, 30, 0, TimeSpan.FromHours(2)));

        Assert.Equal(Utc(2024, 6, 1, 11), next);
        Assert.Equal(TimeSpan.Zero, next!.Value.Offset);
    }

    [Fact]
    public void NextAfter_EpochItself_ReturnsOneIntervalLater()
    {
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(1), Every(TimeSpan.FromDays(1)).NextAfter(DateTimeOffset.UnixEpoch));
    }
}
