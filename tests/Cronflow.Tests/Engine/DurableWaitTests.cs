using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

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
        var waiting = await WaitForStatus(host.Client, runId, RunStatus.Waiting);
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
        await WaitForStatus(host.Client, runId, RunStatus.Running);
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

    [Fact]
    public async Task HumanInTheLoop_TwoConcurrentRuns_GetOwnTokensAndResumeOwnRun()
    {
        var tokens = new TokenInbox();
        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(tokens);
            c.AddWorkflow(Workflow.Define("approval")
                .Step("request", ctx => new { id = ctx.Payload["id"].As<string>() })
                .HumanInTheLoop(h =>
                {
                    h.Name = "manager-approval";
                    h.Description = "Approve the refund";
                    h.Timeout = TimeSpan.FromHours(24);
                    h.OnPause = (ctx, token) =>
                    {
                        ctx.Services.GetRequiredService<TokenInbox>().Add(ctx.Steps["request"].Output["id"].As<string>(), token);
                        return Task.CompletedTask;
                    };
                })
                .Step("result", ctx => $"{ctx.Steps["request"].Output["id"].As<string>()}:{ctx.Last["approved"].As<bool>()}:{ctx.Last["approvedBy"].As<string>()}"));
        });

        var first = await host.Client.TriggerAsync("approval", new { id = "r1" });
        var second = await host.Client.TriggerAsync("approval", new { id = "r2" });
        var token1 = await tokens.Get("r1");
        var token2 = await tokens.Get("r2");
        Assert.NotEqual(token1, token2);

        var paused = await WaitForStatus(host.Client, second, RunStatus.Waiting, r => r.Pauses.Count == 1);
        Assert.Equal(token2, paused.Pauses[0].Token);
        Assert.Equal("Approve the refund", paused.Pauses[0].Description);
        Assert.Equal("manager-approval", paused.Pauses[0].Step);

        await host.Client.ResumeAsync(token2, new { approved = false, approvedBy = "bob", reason = "duplicate" });
        await host.Client.ResumeAsync(token1, new { approved = true, approvedBy = "alice" });

        var run1 = await host.Client.WaitForRunAsync(first, Wait);
        var run2 = await host.Client.WaitForRunAsync(second, Wait);
        Assert.Equal("r1:True:alice", run1.Output.As<string>());
        Assert.Equal("r2:False:bob", run2.Output.As<string>());
        var decision = run2.Steps.Single(s => s.Name == "manager-approval").Output!;
        Assert.Equal("duplicate", decision["reason"].As<string>());
        Assert.Equal("resumed", decision["status"].As<string>());
        Assert.False(decision["timedOut"].As<bool>());
        Assert.False(decision["approvedAt"].IsNull);

        await Assert.ThrowsAsync<ResumeTokenNotFoundException>(() => host.Client.ResumeAsync(token1, new { approved = true }));
        await Assert.ThrowsAsync<ResumeTokenNotFoundException>(() => host.Client.ResumeAsync("not-a-token", null));
    }

    [Fact]
    public async Task HumanInTheLoop_Timeout_RunsOnTimeoutAndReportsTimedOut()
    {
        var signals = new Signals();
        var wf = Workflow.Define("approval-timeout")
            .HumanInTheLoop(h =>
            {
                h.Timeout = TimeSpan.FromMilliseconds(150);
                h.OnTimeout = ctx => { ctx.Services.GetRequiredService<Signals>().Set("timed-out"); return Task.CompletedTask; };
            });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.False(run.Output["approved"].As<bool>());
        Assert.True(run.Output["timedOut"].As<bool>());
        Assert.Equal("timeout", run.Output["status"].As<string>());
        Assert.True(signals.IsSet("timed-out"));
    }

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

    [Fact]
    public async Task While_LoopsUntilConditionFails()
    {
        var wf = Workflow.Define("poll")
            .Step("start", ctx => new { pending = true, count = 0 })
            .While("poll", ctx => ctx.Last["pending"].As<bool>(), async ctx =>
            {
                await Task.Yield();
                var count = ctx.Last["count"].As<int>() + 1;
                return new { pending = count < 5, count };
            }, maxIterations: 10);

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(5, run.Output["count"].As<int>());
        Assert.Equal("5 iterations", run.Step("poll").Detail);
    }

    [Fact]
    public async Task While_ExceedsMaxIterations_FailsClearly()
    {
        var wf = Workflow.Define("runaway").While("spin", ctx => true, ctx => Task.FromResult(1), maxIterations: 3);

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.MaxIterationsExceeded, run.Error!.Code);
        Assert.Equal("While 'spin' reached its limit of 3 iterations and its condition still holds.", run.Error.Message);
    }

    [Fact]
    public async Task While_LongLoop_ContinuesAsNewKeepingStateAndPendingEvents()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("long-loop")
            .Step("prefix", ctx => "n=")
            .While("count", ctx => ctx.Last["n"].IsNull || ctx.Last["n"].As<int>() < 250, ctx =>
                Task.FromResult(new { n = ctx.Last["n"].IsNull ? 1 : ctx.Last["n"].As<int>() + 1 }), maxIterations: 1000)
            .WaitForEvent("finish")
            .Step("done", ctx => ctx.Steps["prefix"].Output.As<string>() + ctx.Steps["count"].Output["n"].As<int>() + "/" + ctx.Last["tag"].As<string>())));

        var runId = await host.Client.TriggerAsync("long-loop", null);

        // Raised while the loop is still running (possibly across a continue-as-new): it must not be lost.
        await host.Client.RaiseEventAsync(runId, "finish", new { tag = "kept" });
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal("n=250/kept", run.Output.As<string>());
        Assert.Equal("250 iterations", run.Steps.Single(s => s.Name == "count").Detail);
        Assert.Equal(["prefix", "count", "wait-1", "done"], run.Steps.Select(s => s.Name));
    }

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
        await WaitForStatus(host.Client, runId, RunStatus.Waiting);

        await host.Client.CancelAsync(runId, "no longer needed");
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("no longer needed", run.Error!.Message);
    }

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

    [Fact]
    public async Task Hooks_OnSuccessRunsOnce_FailingHookDoesNotChangeOutcome()
    {
        var counter = new AttemptCounter();
        var wf = Workflow.Define("hooked", o =>
            {
                o.Hooks.OnSuccess = ctx =>
                {
                    ctx.Services.GetRequiredService<AttemptCounter>().Next("success:" + ctx.Last.As<int>());
                    throw new InvalidOperationException("mail server down");
                };
                o.Hooks.OnFailure = ctx => { ctx.Services.GetRequiredService<AttemptCounter>().Next("failure"); return Task.CompletedTask; };
            })
            .Step("value", ctx => 7);

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(counter)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(7, run.Output.As<int>());
        Assert.Equal(1, counter.Count("success:7"));
        Assert.Equal(0, counter.Count("failure"));
        Assert.Equal(StepStatus.Failed, run.Step("onSuccess").Status);
        Assert.Equal("mail server down", run.Step("onSuccess").Error!.Message);
    }

    [Fact]
    public async Task Versioning_RunStartedWithOtherFingerprint_FailsWithVersionMismatch()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("versioned").Step("a", ctx => 1)));
        var client = (EmbeddedCronflowClient)host.Client;

        var runId = await client.StartAsync(new RunInput { WorkflowId = "versioned", Fingerprint = "0123456789abcdef" }, null);
        var run = await client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.VersionMismatch, run.Error!.Code);
        Assert.Equal("Cronflow.WorkflowVersionMismatchException", run.Error.ErrorType);
        Assert.Contains("the run started with definition 0123456789abcdef", run.Error.Message, StringComparison.Ordinal);
    }

    internal static async Task<RunInfo> WaitForStatus(ICronflowClient client, string runId, RunStatus status, Func<RunInfo, bool>? extra = null)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var run = await client.GetRunAsync(runId);
            if (run is not null && run.Status == status && (extra?.Invoke(run) ?? true))
            {
                return run;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Run {runId} never reached {status}; last: {run?.Status}.");
            await Task.Delay(5);
        }
    }

    private sealed class TokenInbox
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<string>> _tokens = new();

        public void Add(string key, string token) => Slot(key).TrySetResult(token);

        public Task<string> Get(string key) => Slot(key).Task.WaitAsync(TimeSpan.FromSeconds(30));

        private TaskCompletionSource<string> Slot(string key) => _tokens.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
