namespace Cronflow.Tests.Testing;

/// <summary>The examples of docs/testing.md, compiled and run.</summary>
public sealed class TestingDocsExamples
{
    /// <summary>The order workflow of docs/testing.md: a three-day sleep, a two-hour event wait and a 24-hour approval.</summary>
    public static IWorkflowBuilder OrderWithWaits() =>
        Workflow.Define("order-with-waits")
            .Step("reserve", ctx => new { orderId = ctx.Payload["orderId"].As<string>() })
            .Sleep(TimeSpan.FromDays(3))
            .WaitForEvent("payment.settled", TimeSpan.FromHours(2))
            .HumanInTheLoop(h =>
            {
                h.Name = "approval";
                h.Description = "Approve the shipment";
                h.Timeout = TimeSpan.FromHours(24);
                h.OnPause = (ctx, token) => Task.CompletedTask; // e.g. e-mail a link that resumes with the token
            })
            .Step("ship", ctx => ctx.Last["approved"].As<bool>()
                ? $"{ctx.Steps["reserve"].Output["orderId"].As<string>()} shipped, approved by {ctx.Last["approvedBy"].As<string>()}"
                : "not shipped");

    [Fact]
    public async Task MockStep_FixedOutput_ReplacesTheStepBody()
    {
        var wf = Workflow.Define("price")
            .Step("fetch-price", ctx => throw new HttpRequestException("no network in tests"))
            .Step("with-tax", ctx => ctx.Last.As<decimal>() * 1.2m);

        TestRun run = await wf.TestAsync(null, o => o.MockStep("fetch-price", 100m));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(120m, run.Output.As<decimal>());
        Assert.Equal(120m, run.Step("with-tax").Output!.As<decimal>());
    }

    [Fact]
    public async Task UseVirtualTime_OrderWithWaits_ShipsWithTheScriptedAnswers()
    {
        TestRun run = await OrderWithWaits().TestAsync(new { orderId = "A-1" }, o => o
            .UseVirtualTime()
            .RaiseEvent("payment.settled", new { ok = true })
            .Resume(new { approved = true, approvedBy = "ana" }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("A-1 shipped, approved by ana", run.Output.As<string>());
    }

    [Fact]
    public async Task UseVirtualTime_OrderWithWaitsUnanswered_TimesOutInTwoHours()
    {
        TestRun run = await OrderWithWaits().TestAsync(new { orderId = "A-1" }, o => o.UseVirtualTime());

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);
        Assert.Equal(StepStatus.Failed, run.Step("wait-1").Status);
    }
}
