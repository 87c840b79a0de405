using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

public sealed class FlowControlTests
{
    private static IWorkflowBuilder Tiered() => Workflow.Define("tiered")
        .Step("load", ctx => new { amount = ctx.Payload["amount"].As<int>() })
        .If("is-high-value", ctx => ctx.Last["amount"].As<int>() > 500)
            .Step("premium", ctx => "premium")
        .ElseIf("is-medium", ctx => ctx.Last["amount"].As<int>() > 100)
            .Step("standard", ctx => "standard")
        .Else()
            .Step("basic", ctx => "basic")
        .EndIf()
        .Step("done", ctx => ctx.Last.As<string>() + "!");

    [Theory]
    [InlineData(900, "premium")]
    [InlineData(200, "standard")]
    [InlineData(50, "basic")]
    public async Task If_ElseIfElse_RunsExactlyOneBranch(int amount, string expected)
    {
        var run = await Tiered().TestAsync(new { amount });

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(expected + "!", run.Output.As<string>());
        var branchSteps = run.Steps.Where(s => s.Name is "premium" or "standard" or "basic").Select(s => s.Name);
        Assert.Equal([expected], branchSteps);
        Assert.Equal(expected == "basic" ? "branch else" : $"branch {(expected == "premium" ? "is-high-value" : "is-medium")}", run.Step("is-high-value").Detail);
    }

    [Fact]
    public async Task If_Nested_RunsInnerBranchOfOuterBranch()
    {
        var wf = Workflow.Define("nested-if")
            .If("outer", ctx => ctx.Payload["a"].As<bool>())
                .If("inner", ctx => ctx.Payload["b"].As<bool>())
                    .Step("a-and-b", ctx => "a&b")
                .Else()
                    .Step("a-not-b", ctx => "a&!b")
                .EndIf()
            .Else()
                .Step("not-a", ctx => "!a")
            .EndIf();

        Assert.Equal("a&b", (await wf.TestAsync(new { a = true, b = true })).Output.As<string>());
        Assert.Equal("a&!b", (await Workflow.Define("nested-if-2")
            .If("outer", ctx => ctx.Payload["a"].As<bool>())
                .If("inner", ctx => ctx.Payload["b"].As<bool>())
                    .Step("a-and-b", ctx => "a&b")
                .Else()
                    .Step("a-not-b", ctx => "a&!b")
                .EndIf()
            .EndIf()
            .TestAsync(new { a = true, b = false })).Output.As<string>());
        Assert.Equal("!a", (await wf.TestAsync(new { a = false, b = true })).Output.As<string>());
    }

    [Fact]
    public async Task If_NoBranchMatches_LeavesLastUnchanged()
    {
        var wf = Workflow.Define("no-match")
            .Step("value", ctx => 41)
            .If("never", ctx => false)
                .Step("skipped", ctx => 0)
            .EndIf()
            .Step("next", ctx => ctx.Last.As<int>() + 1);

        var run = await wf.TestAsync(null);

        Assert.Equal(42, run.Output.As<int>());
        Assert.Equal("no branch matched", run.Step("never").Detail);
        Assert.DoesNotContain(run.Steps, s => s.Name == "skipped");
    }

    [Fact]
    public async Task If_ConditionThrows_FailsRunNamingCondition()
    {
        var wf = Workflow.Define("bad-condition")
            .If("reads-missing", ctx => ctx.Steps["nope"].Output.As<bool>())
                .Step("x", ctx => 1)
            .EndIf();

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.ConditionFailed, run.Error!.Code);
        Assert.Contains("Evaluating 'reads-missing' of if 'reads-missing' threw", run.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Action_DoesNotBlockNextStep_LeavesLastAndRunWaitsForIt()
    {
        var signals = new Signals();
        var wf = Workflow.Define("actions")
            .Step("value", ctx => 10)
            .Action("notify", async ctx =>
            {
                // Finishes only once the following step has run: a blocking action would deadlock here.
                await Sig(ctx).Wait("next-ran");
                return "sent";
            })
            .Step("next", ctx =>
            {
                Sig(ctx).Set("next-ran");
                return ctx.Last.As<int>() + 1;
            });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(11, run.Output.As<int>());
        Assert.Equal(StepStatus.Completed, run.Step("notify").Status);
        Assert.Equal("sent", run.Step("notify").Output!.As<string>());
    }

    [Fact]
    public async Task Action_Fails_RecordedWithoutFailingRun()
    {
        var wf = Workflow.Define("failing-action")
            .Step("value", ctx => 1)
            .Action("audit", ctx => throw new InvalidOperationException("audit store down"))
            .Step("next", ctx => ctx.Last.As<int>() + 1);

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(2, run.Output.As<int>());
        Assert.Equal(StepStatus.Failed, run.Step("audit").Status);
        Assert.Equal("audit store down", run.Step("audit").Error!.Message);
    }

    [Fact]
    public async Task ForEach_ThousandItemsMaxTen_CompletesInItemOrderWithinLimit()
    {
        var probe = new ConcurrencyProbe();
        var wf = Workflow.Define("foreach-1000")
            .Step("get-users", ctx => Enumerable.Range(0, 1000).Select(i => new User(i, $"user-{i}")).ToArray())
            .ForEach(
                "process-users",
                ctx => ctx.Steps["get-users"].Output.As<User[]>(),
                (user, flow) => flow
                    .Step("process-user", async ctx => await ctx.Services.GetRequiredService<ConcurrencyProbe>()
                        .Track(async () => { await Task.Yield(); return $"{user.Name}:{ctx.Last["id"].As<int>()}"; }))
                    .Step("finish-user", ctx => ctx.Last.As<string>() + ":done"),
                new ForEachOptions { MaxConcurrency = 10 });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(probe)).Timeout = TimeSpan.FromMinutes(2));

        Assert.Equal(RunStatus.Completed, run.Status);
        var results = run.Output.As<string[]>();
        Assert.Equal(1000, results.Length);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"user-{i}:{i}:done"), results);
        Assert.InRange(probe.Max, 1, 10);
        Assert.Equal(1000, probe.Calls);
        Assert.Equal("1000 items", run.Step("process-users").Detail);
    }

    [Fact]
    public async Task ForEach_ItemFlowReadsOuterSteps_AndFailureNamesItem()
    {
        var wf = Workflow.Define("foreach-fail")
            .Step("prefix", ctx => "p")
            .ForEach(
                "each",
                ctx => new[] { 1, 2, 3 },
                (n, flow) => flow.Step("use", ctx => n == 2 ? throw new ArgumentException("two is bad") : ctx.Steps["prefix"].Output.As<string>() + n));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("use", run.Error!.Step);
        Assert.Equal("Item 1 of for-each 'each' failed: two is bad", run.Error.Message);
    }

    private static Signals Sig(StepContext ctx) => ctx.Services.GetRequiredService<Signals>();

    public sealed record User(int Id, string Name);
}
