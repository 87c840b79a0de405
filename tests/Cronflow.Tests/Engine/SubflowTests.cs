namespace Cronflow.Tests.Engine;

/// <summary>Subflow: another registered workflow run as a sub-orchestration.</summary>
public sealed class SubflowTests
{
    [Fact]
    public async Task Subflow_RunsOtherWorkflow_OutputBecomesLast()
    {
        var payment = Workflow.Define("payment-workflow")
            .Step("charge", ctx => new { charged = ctx.Payload["orderId"].As<string>(), by = ctx.Trigger.Kind.ToString() });
        var wf = Workflow.Define("order")
            .Step("load", ctx => new { orderId = "o-9" })
            .Subflow("charge", "payment-workflow", ctx => new { orderId = ctx.Last["orderId"].As<string>() })
            .Step("done", ctx => ctx.Last["charged"].As<string>() + " via " + ctx.Last["by"].As<string>());

        var run = await wf.TestAsync(null, o => o.AddWorkflow(payment));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("o-9 via Workflow", run.Output.As<string>());
        Assert.Equal("subflow", run.Step("charge").Kind);
    }

    [Fact]
    public async Task Subflow_ChildFails_StepFailsAndOnErrorHandles()
    {
        var failing = Workflow.Define("failing-child").Step("boom", ctx => (object)(ctx.Attempt > 0 ? throw new InvalidOperationException("card declined") : 0));
        var wf = Workflow.Define("parent")
            .Subflow("charge", "failing-child")
            .OnError(ctx => ctx.Error!.Message);

        var run = await wf.TestAsync(null, o => o.AddWorkflow(failing));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.StartsWith("Subflow 'charge' (workflow 'failing-child', run '", run.Output.As<string>(), StringComparison.Ordinal);
        Assert.EndsWith("') failed: card declined", run.Output.As<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subflow_UnknownWorkflow_IsDefinitionError()
    {
        var wf = Workflow.Define("orphan").Subflow("charge", "no-such-workflow");

        var ex = await Assert.ThrowsAsync<WorkflowDefinitionException>(() => wf.TestAsync(null));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(ErrorCodes.UnknownSubflow, error.Code);
        Assert.Equal("0", error.Path);
        Assert.Equal("Subflow 'charge' runs workflow 'no-such-workflow', which is not registered.", error.Message);
    }
}
