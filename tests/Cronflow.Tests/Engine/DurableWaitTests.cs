using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>Sleep and WaitForEvent: durable timers and external events.</summary>
public sealed class DurableWaitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sleep_WaitsOnDurableTimer_LeavesLastUnchanged()
    {
        var wf = Workflow.Define("sleepy")
            .Step("value", ctx => 5)
            .Sleep(TimeSpan.FromMilliseconds(100))
            .Step("after", ctx => ctx.Last.As<int>() + 1);

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(6, run.Output.As<int>());
        var sleep = run.Step("sleep-1");
        Assert.Equal("sleep", sleep.Kind);
        Assert.Equal(StepStatus.Completed, sleep.Status);
        Assert.StartsWith("sleep until ", sleep.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForEvent_EventRaised_OutputIsPayloadAndRunReportsWaiting()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("payment")
            .Step("charge", ctx => "charged")
            .WaitForEvent("payment.settled", TimeSpan.FromMinutes(5))
            .Step("receipt", ctx => $"{ctx.Steps["charge"].Output.As<string>()} and settled {ctx.Last["amount"].As<int>()}")));

        var runId = await host.Client.TriggerAsync("payment", null);
        var waiting = await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Waiting);
        Assert.Equal("event payment.settled", waiting.WaitingFor);
        Assert.Equal(StepStatus.Waiting, waiting.Steps.Single(s => s.Name == "wait-1").Status);

        await host.Client.RaiseEventAsync(runId, "payment.settled", new { amount = 42 });
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("charged and settled 42", run.Output.As<string>());
        Assert.Equal(42, run.Steps.Single(s => s.Name == "wait-1").Output!["amount"].As<int>());
    }

    [Fact]
    public async Task WaitForEvent_EventRaisedBeforeWait_IsKept()
    {
        var signals = new Signals();
        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(signals);
            c.AddWorkflow(Workflow.Define("early-event")
                .Step("slow-start", async ctx => { await ctx.Services.GetRequiredService<Signals>().Wait("go"); return 1; })
                .WaitForEvent("ready")
                .Step("after", ctx => ctx.Last["ok"].As<bool>()));
        });

        var runId = await host.Client.TriggerAsync("early-event", null);
        await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Running);
        await host.Client.RaiseEventAsync(runId, "ready", new { ok = true });
        signals.Set("go");

        Assert.True((await host.Client.WaitForRunAsync(runId, Wait)).Output.As<bool>());
    }

    [Fact]
    public async Task WaitForEvent_Timeout_FailsStepWithTimeoutCodeHandledByOnError()
    {
        var wf = Workflow.Define("event-timeout")
            .WaitForEvent("never.comes", TimeSpan.FromMilliseconds(150))
            .OnError(ctx => new { timedOut = ctx.Error!.Code == ErrorCodes.Timeout, ctx.Error.Message });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Output["timedOut"].As<bool>());
        Assert.Equal("No 'never.comes' event arrived within 00:00:00.1500000.", run.Output["message"].As<string>());
    }
}
