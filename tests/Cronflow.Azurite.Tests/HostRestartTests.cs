using Cronflow.Azurite.Tests.Infrastructure;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// Durable waits survive the host: a run waiting in Sleep, WaitForEvent or HumanInTheLoop continues on a new host on
/// the same task hub. A changed definition is refused with a versioning error instead of being replayed wrongly.
/// </summary>
public sealed class HostRestartTests : IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Storage.DeleteTaskHubAsync(_hub);

    [AzuriteFact]
    public async Task Sleep_HostStoppedWhileSleeping_NewHostFinishesRunWhenTimerFires()
    {
        var wf = Workflow.Define("nap")
            .Step("before", ctx => ctx.Payload["n"].As<int>() * 2)
            .Sleep(TimeSpan.FromSeconds(3))
            .Step("after", ctx => ctx.Last.As<int>() + 1);

        string runId;
        await using (var first = await StartAsync(wf))
        {
            runId = await first.Client.TriggerAsync("nap", new { n = 20 });
            var sleeping = await Poll.RunStatusAsync(first.Client, runId, RunStatus.Waiting);
            Assert.StartsWith("sleep until ", sleeping.WaitingFor, StringComparison.Ordinal);
        }

        await using var second = await StartAsync(wf);
        var run = await second.Client.WaitForRunAsync(runId, RunTimeout);

        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal(41, run.Output.As<int>());
        Assert.Equal(["before", "sleep-1", "after"], run.Steps.Select(s => s.Name));
    }

    [AzuriteFact]
    public async Task WaitForEvent_HostStoppedWhileWaiting_EventRaisedOnNewHostCompletesRun()
    {
        var wf = Workflow.Define("payment")
            .Step("charge", ctx => "charged " + ctx.Payload["orderId"].As<string>())
            .WaitForEvent("payment.settled", TimeSpan.FromMinutes(10))
            .Step("receipt", ctx => $"{ctx.Steps["charge"].Output.As<string>()}, settled {ctx.Last["amount"].As<int>()}");

        string runId;
        await using (var first = await StartAsync(wf))
        {
            runId = await first.Client.TriggerAsync("payment", new { orderId = "A-7" });
            var waiting = await Poll.RunStatusAsync(first.Client, runId, RunStatus.Waiting);
            Assert.Equal("event payment.settled", waiting.WaitingFor);
        }

        await using var second = await StartAsync(wf);
        await second.Client.RaiseEventAsync(runId, "payment.settled", new { amount = 42 });
        var run = await second.Client.WaitForRunAsync(runId, RunTimeout);

        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal("charged A-7, settled 42", run.Output.As<string>());
    }

    [AzuriteFact]
    public async Task HumanInTheLoop_HostStoppedWhilePaused_TokenResumesRunOnNewHost()
    {
        var wf = Workflow.Define("refund")
            .Step("request", ctx => new { id = ctx.Payload["id"].As<string>() })
            .HumanInTheLoop(h =>
            {
                h.Name = "approve-refund";
                h.Description = "Approve the refund";
                h.Timeout = TimeSpan.FromHours(1);
            })
            .Step("result", ctx => $"{ctx.Steps["request"].Output["id"].As<string>()}:{ctx.Last["approved"].As<bool>()}:{ctx.Last["approvedBy"].As<string>()}");

        string runId;
        string token;
        await using (var first = await StartAsync(wf))
        {
            runId = await first.Client.TriggerAsync("refund", new { id = "R-9" });
            var paused = await Poll.RunStatusAsync(first.Client, runId, RunStatus.Waiting, r => r.Pauses.Count == 1);
            token = paused.Pauses[0].Token;
            Assert.Equal("approve-refund", paused.Pauses[0].Step);
        }

        await using var second = await StartAsync(wf);
        var stillPaused = await second.Client.GetRunAsync(runId);
        Assert.Equal(token, Assert.Single(stillPaused!.Pauses).Token);
        await second.Client.ResumeAsync(token, new { approved = true, approvedBy = "ops" });
        var run = await second.Client.WaitForRunAsync(runId, RunTimeout);

        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal("R-9:True:ops", run.Output.As<string>());
        Assert.Equal("resumed", run.Steps.Single(s => s.Name == "approve-refund").Output!["status"].As<string>());
        await Assert.ThrowsAsync<ResumeTokenNotFoundException>(() => second.Client.ResumeAsync(token, new { approved = false }));
    }

    [AzuriteFact]
    public async Task Versioning_DefinitionChangedWhileRunWaits_RunFailsWithVersionMismatch()
    {
        var v1 = Workflow.Define("versioned")
            .Step("a", ctx => 1)
            .WaitForEvent("go")
            .Step("b", ctx => 2);
        var v2 = Workflow.Define("versioned")
            .Step("a", ctx => 1)
            .Step("extra", ctx => 10)
            .WaitForEvent("go")
            .Step("b", ctx => 2);

        string runId;
        await using (var hostA = await StartAsync(v1))
        {
            runId = await hostA.Client.TriggerAsync("versioned", null);
            await Poll.RunStatusAsync(hostA.Client, runId, RunStatus.Waiting);
        }

        await using var hostB = await StartAsync(v2);
        await hostB.Client.RaiseEventAsync(runId, "go", new { });
        var run = await hostB.Client.WaitForRunAsync(runId, RunTimeout);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.True(run.Error?.Code == "CRONFLOW1003", $"Expected error CRONFLOW1003, got {run.Error?.Code ?? "no code"}: {run.Error}");
        Assert.Equal("Cronflow.WorkflowVersionMismatchException", run.Error!.ErrorType);
        Assert.DoesNotContain(run.Steps, s => s.Name is "extra" or "b");
    }

    private Task<CronflowHost> StartAsync(IWorkflowBuilder workflow) =>
        CronflowHost.StartAsync(c => c.AddWorkflow(workflow), o => o.UseAzurite(_hub));
}
