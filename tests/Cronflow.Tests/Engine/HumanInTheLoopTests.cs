using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>HumanInTheLoop: pauses, resume tokens, OnPause and OnTimeout.</summary>
public sealed class HumanInTheLoopTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

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

        var paused = await RunWaits.WaitForStatus(host.Client, second, RunStatus.Waiting, r => r.Pauses.Count == 1);
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

    private sealed class TokenInbox
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<string>> _tokens = new();

        public void Add(string key, string token) => Slot(key).TrySetResult(token);

        public Task<string> Get(string key) => Slot(key).Task.WaitAsync(TimeSpan.FromSeconds(30));

        private TaskCompletionSource<string> Slot(string key) => _tokens.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
