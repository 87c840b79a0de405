using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

public sealed class ReplaySafetyTests
{
    /// <summary>A switch a condition reads: impure on purpose, to stand for a condition changed by a deployment.</summary>
    public sealed class Switch
    {
        private volatile bool _on = true;

        public bool On
        {
            get => _on;
            set => _on = value;
        }
    }

    [Fact]
    public async Task Replay_ConditionChangedWhileRunInFlight_FailsWithVersionMismatchInsteadOfMixingResults()
    {
        var flag = new Switch();
        var signals = new Signals();
        var wf = Workflow.Define("drifting")
            .Step("a", ctx => 1)
            .If("switch-on", ctx => flag.On)
                .Step("b", async ctx =>
                {
                    await ctx.Services.GetRequiredService<Signals>().Wait("finish-b");
                    return "b";
                })
            .Else()
                .Step("c", ctx => "c")
            .EndIf();

        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(signals);
            c.AddWorkflow(wf);
        });
        var runId = await host.Client.TriggerAsync("drifting", null);
        await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Running, r => r.Steps.Any(s => s.Name == "b"));

        flag.On = false;
        signals.Set("finish-b");
        var run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.VersionMismatch, run.Error!.Code);
        Assert.Equal("Cronflow.WorkflowVersionMismatchException", run.Error.ErrorType);
        Assert.Contains("its history has the result of step '1/b0/0' where the definition now runs step '1/else/0' ('c')", run.Error.Message, StringComparison.Ordinal);
    }
}
