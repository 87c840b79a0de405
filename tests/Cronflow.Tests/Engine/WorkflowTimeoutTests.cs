using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>The workflow-level timeout.</summary>
public sealed class WorkflowTimeoutTests
{
    [Fact]
    public async Task WorkflowTimeout_Passes_RunFailsAndOnFailureRuns()
    {
        var signals = new Signals();
        var wf = Workflow.Define("slow-workflow", o =>
            {
                o.Timeout = TimeSpan.FromMilliseconds(200);
                o.Hooks.OnFailure = ctx =>
                {
                    ctx.Services.GetRequiredService<Signals>().Set("failure:" + ctx.Error!.Code);
                    return Task.CompletedTask;
                };
            })
            .WaitForEvent("never");

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);
        Assert.Equal("Workflow 'slow-workflow' timed out after 00:00:00.2000000.", run.Error.Message);
        Assert.True(signals.IsSet("failure:" + ErrorCodes.Timeout));
        Assert.Equal(StepStatus.Completed, run.Step("onFailure").Status);
    }
}
