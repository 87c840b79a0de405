namespace Cronflow.Tests.Engine;

/// <summary>Every record of a finished run is in a final state, whichever way the run ended.</summary>
public sealed class RunRecordTests
{
    private static readonly StepStatus[] Final = [StepStatus.Completed, StepStatus.Failed, StepStatus.Skipped];

    [Fact]
    public async Task OnError_HandlerThrows_RecordFailedWithHandlerErrorAndRunFails()
    {
        var wf = Workflow.Define("handler-throws", o => o.Hooks.OnFailure = ctx => Task.CompletedTask)
            .Step("fetch", ctx => (object)(ctx.Attempt > 0 ? throw new InvalidOperationException("db offline") : 0))
            .OnError(ctx => (object)(ctx.Attempt > 0 ? throw new TimeoutException("fallback offline too") : 0))
            .Step("next", ctx => "unreached");

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("System.TimeoutException", run.Error!.ErrorType);
        Assert.Equal("fallback offline too", run.Error.Message);
        var fetch = run.Step("fetch");
        Assert.Equal(StepStatus.Failed, fetch.Status);
        Assert.NotNull(fetch.CompletedAt);
        Assert.Equal("System.TimeoutException", fetch.Error!.ErrorType);
        Assert.Equal(StepStatus.Completed, run.Step("onFailure").Status);
        Assert.DoesNotContain(run.Steps, s => s.Name == "next");
        Assert.All(run.Steps, s => Assert.Contains(s.Status, Final));
    }

    [Fact]
    public async Task Cancel_InsideIf_CancelStepCompletedAndEnclosingIfSkipped()
    {
        var wf = Workflow.Define("cancel-records")
            .Step("check", ctx => new { fraud = true })
            .If("is-fraud", ctx => ctx.Last["fraud"].As<bool>())
                .Cancel("Fraud suspected")
            .EndIf()
            .Step("ship", ctx => "shipped");

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal(["check", "is-fraud", "cancel-1"], run.Steps.Select(s => s.Name));
        Assert.Equal(StepStatus.Completed, run.Step("check").Status);
        Assert.Equal(StepStatus.Skipped, run.Step("is-fraud").Status);
        Assert.Equal(StepStatus.Completed, run.Step("cancel-1").Status);
        Assert.All(run.Steps, s => Assert.Contains(s.Status, Final));
        Assert.All(run.Steps, s => Assert.NotNull(s.CompletedAt));
    }

    [Fact]
    public async Task WorkflowTimeout_StepStillRunning_RecordSkipped()
    {
        var wf = Workflow.Define("timeout-records", o => o.Timeout = TimeSpan.FromMilliseconds(200))
            .Step("first", ctx => 1)
            .Step("stuck", async ctx =>
            {
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return 2;
            });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);
        Assert.Equal(StepStatus.Completed, run.Step("first").Status);
        Assert.Equal(StepStatus.Skipped, run.Step("stuck").Status);
        Assert.All(run.Steps, s => Assert.Contains(s.Status, Final));
    }
}
