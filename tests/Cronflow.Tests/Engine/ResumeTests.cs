using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>Resume payloads, resume tokens, and failures inside the interpreter.</summary>
public sealed class ResumeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ResumeAsync_ApprovedAtNotADate_ThrowsNamingFieldAndRunKeepsWaiting()
    {
        var inbox = new TokenInbox();
        await using var host = await CronflowHost.StartAsync(c => Approval(c, inbox));
        var runId = await host.Client.TriggerAsync("approval", null);
        var token = await inbox.Get();
        await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Waiting, r => r.Pauses.Count == 1);

        var refused = await Assert.ThrowsAsync<InvalidResumePayloadException>(() => host.Client.ResumeAsync(token, new { approved = true, approvedAt = "tomorrow" }));

        Assert.Equal("approvedAt", refused.Field);
        Assert.Equal("The resume payload's 'approvedAt' must be an ISO 8601 date and time such as \"2026-01-31T17:00:00Z\"; it is \"tomorrow\".", refused.Message);
        var stillWaiting = await host.Client.GetRunAsync(runId);
        Assert.Equal(RunStatus.Waiting, stillWaiting!.Status);
        Assert.Equal(token, Assert.Single(stillWaiting.Pauses).Token);

        await host.Client.ResumeAsync(token, new { approved = true, approvedAt = "2026-01-31T17:00:00Z" });
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(new DateTimeOffset(2026, 1, 31, 17, 0, 0, TimeSpan.Zero), run.Steps.Single(s => s.Name == "approval").Output!["approvedAt"].As<DateTimeOffset>());
    }

    [Fact]
    public async Task ResumeAsync_ApprovedNotABoolean_ThrowsNamingField()
    {
        var inbox = new TokenInbox();
        await using var host = await CronflowHost.StartAsync(c => Approval(c, inbox));
        await host.Client.TriggerAsync("approval", null);
        var token = await inbox.Get();

        var refused = await Assert.ThrowsAsync<InvalidResumePayloadException>(() => host.Client.ResumeAsync(token, new { approved = "yes" }));

        Assert.Equal("approved", refused.Field);
    }

    [Fact]
    public async Task ResumeRoute_ApprovedAtNotADate_Returns400NamingField()
    {
        var inbox = new TokenInbox();
        await using var host = await CronflowHost.StartAsync(c => Approval(c, inbox), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var runId = await host.Client.TriggerAsync("approval", null);
        var token = await inbox.Get();
        await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Waiting, r => r.Pauses.Count == 1);

        using var response = await http.PostAsync($"/api/resume/{token}", new StringContent("""{ "approved": true, "approvedAt": "tomorrow" }""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        Assert.Contains("'approvedAt'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("/approvedAt", error.GetProperty("problems")[0].GetProperty("path").GetString());
        Assert.Equal(RunStatus.Waiting, (await host.Client.GetRunAsync(runId))!.Status);
    }

    [Fact]
    public async Task HumanInTheLoop_MalformedPayloadBypassingClient_StepFailsAndOnFailureRuns()
    {
        var inbox = new TokenInbox();
        await using var host = await CronflowHost.StartAsync(c => Approval(c, inbox));
        var runId = await host.Client.TriggerAsync("approval", null);
        var token = await inbox.Get();
        Assert.True(ResumeTokens.TryParse(token, out _, out var secret));

        // The event a resume raises, sent without the client's checks.
        await host.Client.RaiseEventAsync(runId, ResumeTokens.EventName(secret), new { approved = true, approvedAt = "tomorrow" });
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(typeof(InvalidResumePayloadException).FullName, run.Error!.ErrorType);
        Assert.Equal("approval", run.Error.Step);
        Assert.Contains("'approvedAt'", run.Error.Message, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Failed, run.Steps.Single(s => s.Name == "approval").Status);
        Assert.Equal(StepStatus.Completed, run.Steps.Single(s => s.Name == "onFailure").Status);
        Assert.Equal(1, inbox.Failures);
    }

    [Fact]
    public async Task Interpreter_UnexpectedException_RunFailsWithHooksAndFinalRecords()
    {
        var failures = new TokenInbox();
        var wf = Workflow.Define("engine-fault", o => o.Hooks.OnFailure = ctx =>
            {
                ctx.Services.GetRequiredService<TokenInbox>().Fail();
                return Task.CompletedTask;
            })
            .Step("first", ctx => 1);
        Root(wf).Add(new UnknownNode("1"));

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(failures)));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(typeof(OrchestrationFailedException).FullName, run.Error!.ErrorType);
        Assert.StartsWith("Run '", run.Error.Message, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: Unknown node kind mystery at 1.", run.Error.Message, StringComparison.Ordinal);
        Assert.Equal(1, failures.Failures);
        Assert.Equal(StepStatus.Completed, run.Step("first").Status);
        Assert.Equal(StepStatus.Failed, run.Step("mystery").Status);
        Assert.Equal(StepStatus.Completed, run.Step("onFailure").Status);
    }

    [Fact]
    public async Task HumanInTheLoop_IdenticalRuns_GetUnrelatedTokensOf256RandomBits()
    {
        var secrets = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            // Two engines, the same run id and payload: nothing in the inputs tells the runs apart.
            var inbox = new TokenInbox();
            await using var host = await CronflowHost.StartAsync(c => Approval(c, inbox));
            await host.Client.TriggerAsync("approval", new { id = 1 }, "same-run");
            var token = await inbox.Get();
            Assert.True(ResumeTokens.TryParse(token, out var instanceId, out var secret));
            Assert.Equal("same-run", instanceId);
            secrets.Add(secret);
        }

        Assert.All(secrets, s => Assert.Equal(32, Convert.FromHexString(s).Length));
        Assert.NotEqual(secrets[0], secrets[1]);
        Assert.NotEqual(secrets[0][..16], secrets[1][..16]);
    }

    [Fact]
    public async Task ResumeAsync_WrongTokenOfSameLength_RefusedAndRunKeepsWaiting()
    {
        var inbox = new TokenInbox();
        await using var host = await CronflowHost.StartAsync(c => Approval(c, inbox));
        var runId = await host.Client.TriggerAsync("approval", null);
        var token = await inbox.Get();
        await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Waiting, r => r.Pauses.Count == 1);
        var forged = token[..^1] + (token[^1] == '0' ? '1' : '0');

        await Assert.ThrowsAsync<ResumeTokenNotFoundException>(() => host.Client.ResumeAsync(forged, new { approved = true }));

        Assert.Equal(token.Length, forged.Length);
        Assert.Equal(RunStatus.Waiting, (await host.Client.GetRunAsync(runId))!.Status);
        await host.Client.ResumeAsync(token, new { approved = true });
        Assert.Equal(RunStatus.Completed, (await host.Client.WaitForRunAsync(runId, Wait)).Status);
    }

    private static void Approval(CronflowBuilder c, TokenInbox inbox)
    {
        c.Services.AddSingleton(inbox);
        c.AddWorkflow(Workflow.Define("approval", o => o.Hooks.OnFailure = ctx =>
            {
                ctx.Services.GetRequiredService<TokenInbox>().Fail();
                return Task.CompletedTask;
            })
            .HumanInTheLoop(h =>
            {
                h.Name = "approval";
                h.Description = "Approve";
                h.OnPause = (ctx, token) =>
                {
                    ctx.Services.GetRequiredService<TokenInbox>().Add(token);
                    return Task.CompletedTask;
                };
            }));
    }

    private static List<Node> Root(IWorkflowBuilder builder) =>
        (List<Node>)builder.GetType().GetField("_root", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(builder)!;

    /// <summary>A node kind the interpreter does not know: the way to make it fail unexpectedly.</summary>
    private sealed class UnknownNode(string path) : Node(path, "mystery")
    {
        public override string Kind => "mystery";
    }

    private sealed class TokenInbox
    {
        private readonly TaskCompletionSource<string> _token = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _failures;

        public int Failures => Volatile.Read(ref _failures);

        public void Add(string token) => _token.TrySetResult(token);

        public void Fail() => Interlocked.Increment(ref _failures);

        public Task<string> Get() => _token.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
