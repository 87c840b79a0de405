using Cronflow.Hosting;

namespace Cronflow.Tests.Engine;

/// <summary>Cancellation: the Cancel step and CancelAsync on a waiting run.</summary>
public sealed class CancelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Cancel_Step_EndsRunCancelledWithReason()
    {
        var wf = Workflow.Define("cancel-step")
            .Step("check", ctx => new { fraud = true })
            .If("is-fraud", ctx => ctx.Last["fraud"].As<bool>())
                .Cancel("Fraud suspected")
            .EndIf()
            .Step("ship", ctx => "shipped");

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("Fraud suspected", run.Error!.Message);
        Assert.DoesNotContain(run.Steps, s => s.Name == "ship");
    }

    [Fact]
    public async Task CancelAsync_WaitingRun_EndsCancelled()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("waits").WaitForEvent("never")));
        var runId = await host.Client.TriggerAsync("waits", null);
        await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Waiting);

        await host.Client.CancelAsync(runId, "no longer needed");
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("no longer needed", run.Error!.Message);
    }
}
