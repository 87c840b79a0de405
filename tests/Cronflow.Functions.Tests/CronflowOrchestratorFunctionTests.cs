using System.Text.Json;

namespace Cronflow.Functions.Tests;

public sealed class CronflowOrchestratorFunctionTests
{
    private static IWorkflowBuilder Mixed() =>
        Workflow.Define("mixed")
            .Step("start", ctx => ctx.Payload["amount"].As<int>())
            .Parallel(
                async ctx => { await Task.Yield(); return (object?)(ctx.Last.As<int>() * 2); },
                async ctx => { await Task.Yield(); return (object?)(ctx.Last.As<int>() + 1); })
            .Step("after-parallel", ctx => ctx.Last[0].As<int>() + ctx.Last[1].As<int>())
            .Race(
                async _ => { await Task.Yield(); throw new InvalidOperationException("primary is down"); },
                async _ => { await Task.Yield(); return (object?)"backup"; })
            .Step("after-race", ctx => ctx.Last.As<string>())
            .If("is-large", ctx => ctx.Steps["start"].Output.As<int>() > 100)
                .Step("large", _ => "large")
            .ElseIf("is-medium", ctx => ctx.Steps["start"].Output.As<int>() > 10)
                .Step("medium", _ => "medium")
            .Else()
                .Step("small", _ => "small")
            .EndIf()
            .Step("summary", ctx => new
            {
                tier = ctx.Last.As<string>(),
                sum = ctx.Steps["after-parallel"].Output.As<int>(),
                winner = ctx.Steps["after-race"].Output.As<string>(),
            });

    [Theory]
    [InlineData(500)]
    [InlineData(50)]
    [InlineData(5)]
    public async Task RunAsync_ParallelRaceAndIfElse_SameResultAsCronflowHost(int amount)
    {
        await using var functions = new FunctionsTestHost(workflows: c => c.AddWorkflow(Mixed()));
        await using var engine = await EmbeddedFunctionsEngine.StartAsync(functions);
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Mixed()));

        var viaFunctions = await engine.RunAsync(functions, "mixed", new { amount });
        var viaHost = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("mixed", new { amount }), TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Completed, viaFunctions.Status);
        Assert.Equal(viaHost.Status, viaFunctions.Status);
        Assert.Equal(viaHost.Output.Json.GetRawText(), viaFunctions.Output.Json.GetRawText());
        Assert.Equal(
            viaHost.Steps.Select(s => $"{s.Name}:{s.Kind}:{s.Status}"),
            viaFunctions.Steps.Select(s => $"{s.Name}:{s.Kind}:{s.Status}"));
        var expectedTier = amount > 100 ? "large" : amount > 10 ? "medium" : "small";
        Assert.Equal(expectedTier, viaFunctions.Output["tier"].As<string>());
        Assert.Equal((amount * 2) + amount + 1, viaFunctions.Output["sum"].As<int>());
        Assert.Equal("backup", viaFunctions.Output["winner"].As<string>());
    }

    [Fact]
    public async Task RunAsync_FailingStep_FailsRunLikeCronflowHost()
    {
        static IWorkflowBuilder Failing() => Workflow.Define("failing").Step("boom", Throw);
        await using var functions = new FunctionsTestHost(workflows: c => c.AddWorkflow(Failing()));
        await using var engine = await EmbeddedFunctionsEngine.StartAsync(functions);
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Failing()));

        var viaFunctions = await engine.RunAsync(functions, "failing", null);
        var viaHost = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("failing", null), TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, viaFunctions.Status);
        Assert.Equal(viaHost.Error!.Message, viaFunctions.Error!.Message);
        Assert.Equal(viaHost.Error.Step, viaFunctions.Error.Step);
    }

    [Fact]
    public async Task RunAsync_Result_IsTheSerializedRunResult()
    {
        await using var functions = new FunctionsTestHost(workflows: c => c.AddWorkflow(Workflow.Define("one").Step("one", _ => 1)));
        await using var engine = await EmbeddedFunctionsEngine.StartAsync(functions);

        var run = await engine.RunAsync(functions, "one", null);

        Assert.Equal(1, run.Output.As<int>());
        Assert.Equal(JsonValueKind.Number, run.Output.Json.ValueKind);
    }

    private static int Throw(StepContext context) => throw new InvalidOperationException("boom in " + context.Run.WorkflowId);
}
