using Cronflow.Tests.Engine;

namespace Cronflow.Tests.Client;

/// <summary>One local host with an API key, listening on a free loopback port, shared by the HTTP client tests.</summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    public const string Key = "http-client-test-key-0123456789";

    public CronflowHost Host { get; private set; } = null!;

    public Uri Url => new(Host.Urls.Single());

    public async Task InitializeAsync() => Host = await CronflowHost.StartAsync(
        c =>
        {
            c.AddWorkflow(Workflow.Define("echo").Step("echo", ctx => ctx.Payload));
            c.AddWorkflow(Workflow.Define("payment")
                .WaitForEvent("payment.settled", TimeSpan.FromMinutes(5))
                .Step("receipt", ctx => $"settled {ctx.Last["amount"].As<int>()}"));
            c.AddWorkflow(Workflow.Define("approval")
                .HumanInTheLoop(h =>
                {
                    h.Name = "manager-approval";
                    h.Timeout = TimeSpan.FromHours(24);
                })
                .Step("result", ctx => $"{ctx.Last["approved"].As<bool>()}:{ctx.Last["approvedBy"].As<string>()}"));
            c.AddWorkflow(Workflow.Define("blocked").Step("wait", async ctx =>
            {
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return "never";
            }));
            c.AddWorkflow(Workflow.Define("on-created").OnEvent("order.created").Step("seen", ctx => ctx.Payload["id"].As<string>()));
            c.Configure(o => o.MaxPayloadBytes = 1024);
        },
        o =>
        {
            o.ListenOn("http://127.0.0.1:0");
            o.ApiKey = Key;
        });

    public async Task DisposeAsync() => await Host.DisposeAsync();

    public CronflowHttpClient Client(string? key = Key) => new(Url, new CronflowHttpClientOptions { ApiKey = key, PollInterval = TimeSpan.FromMilliseconds(20) });
}

public sealed class CronflowHttpClientTests(LocalHostFixture fixture) : IClassFixture<LocalHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TriggerAsync_KnownWorkflow_RunCompletesWithPayloadAsOutput()
    {
        using var client = fixture.Client();

        var runId = await client.TriggerAsync("echo", new { orderId = "A-1", amount = 12 });
        var run = await client.WaitForRunAsync(runId, Wait);
        var fetched = await client.GetRunAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("A-1", run.Output["orderId"].As<string>());
        Assert.Equal(12, run.Payload["amount"].As<int>());
        Assert.NotNull(fetched);
        Assert.Equal("echo", fetched.WorkflowId);
        Assert.Equal("echo", Assert.Single(fetched.Steps).Name);
        Assert.Equal(StepStatus.Completed, fetched.Steps[0].Status);
    }

    [Fact]
    public async Task TriggerAsync_RunIdGivenTwice_SamePayloadIsIdempotentOtherPayloadThrowsRunConflict()
    {
        using var client = fixture.Client();
        var runId = "http-client-" + Guid.NewGuid().ToString("N");

        var first = await client.TriggerAsync("echo", new { n = 1 }, runId);
        var again = await client.TriggerAsync("echo", new { n = 1 }, runId, TriggerInfo.Manual);
        var conflict = await Assert.ThrowsAsync<RunConflictException>(() => client.TriggerAsync("echo", new { n = 2 }, runId));

        Assert.Equal(runId, first);
        Assert.Equal(runId, again);
        Assert.Equal(runId, conflict.RunId);
        Assert.Equal($"Run '{runId}' already exists with a different payload.", conflict.Message);
    }

    [Fact]
    public async Task TriggerAsync_UnknownWorkflow_ThrowsWorkflowNotFoundException()
    {
        using var client = fixture.Client();

        var error = await Assert.ThrowsAsync<WorkflowNotFoundException>(() => client.TriggerAsync("no-such-workflow", null));

        Assert.Equal("no-such-workflow", error.WorkflowId);
    }

    [Fact]
    public async Task TriggerAsync_PayloadOverLimit_ThrowsPayloadTooLargeExceptionWithLimit()
    {
        using var client = fixture.Client();

        var error = await Assert.ThrowsAsync<PayloadTooLargeException>(() => client.TriggerAsync("echo", new { text = new string('x', 2000) }));

        Assert.Equal(1024, error.Limit);
        Assert.Equal("CronflowOptions.MaxPayloadBytes", error.LimitName);
        Assert.True(error.Size > 2000, $"size {error.Size}");
    }

    [Fact]
    public async Task TriggerAsync_WebhookTrigger_ThrowsNotSupportedException()
    {
        using var client = fixture.Client();

        await Assert.ThrowsAsync<NotSupportedException>(() =>
            client.TriggerAsync("echo", null, null, new TriggerInfo { Kind = TriggerKind.Webhook, Source = "/hooks/x" }));
    }

    [Fact]
    public async Task GetRunAsync_UnknownRun_ReturnsNullAndWaitThrowsRunNotFound()
    {
        using var client = fixture.Client();

        var run = await client.GetRunAsync("no-such-run");
        var error = await Assert.ThrowsAsync<RunNotFoundException>(() => client.WaitForRunAsync("no-such-run", Wait));

        Assert.Null(run);
        Assert.Equal("no-such-run", error.RunId);
    }

    [Fact]
    public async Task WaitForRunAsync_RunStillWaiting_ThrowsRunWaitTimeoutWithLastStatus()
    {
        using var client = fixture.Client();
        var runId = await client.TriggerAsync("payment", null);
        await RunWaits.WaitForStatus(client, runId, RunStatus.Waiting);

        var error = await Assert.ThrowsAsync<RunWaitTimeoutException>(() => client.WaitForRunAsync(runId, TimeSpan.FromMilliseconds(50)));

        Assert.Equal(runId, error.RunId);
        Assert.Equal(RunStatus.Waiting, error.LastStatus);
        await client.CancelAsync(runId, "test over");
    }

    [Fact]
    public async Task WaitForRunAsync_TokenCancelled_ThrowsOperationCanceledAndRunGoesOn()
    {
        using var client = fixture.Client();
        var runId = await client.TriggerAsync("payment", null);
        await RunWaits.WaitForStatus(client, runId, RunStatus.Waiting);
        using var cancellation = new CancellationTokenSource();

        var wait = client.WaitForRunAsync(runId, TimeSpan.FromHours(1), cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ListRunsAsync(new RunQuery(), cancellation.Token));
        Assert.Equal(RunStatus.Waiting, (await client.GetRunAsync(runId))!.Status);
        await client.CancelAsync(runId, "test over");
    }

    [Fact]
    public async Task RaiseEventAsync_WaitingRun_RunCompletesWithEventPayload()
    {
        using var client = fixture.Client();
        var runId = await client.TriggerAsync("payment", null);
        var waiting = await RunWaits.WaitForStatus(client, runId, RunStatus.Waiting);

        await client.RaiseEventAsync(runId, "payment.settled", new { amount = 42 });
        var run = await client.WaitForRunAsync(runId, Wait);

        Assert.Equal("event payment.settled", waiting.WaitingFor);
        Assert.Equal("settled 42", run.Output.As<string>());
        var error = await Assert.ThrowsAsync<RunNotFoundException>(() => client.RaiseEventAsync("no-such-run", "payment.settled", null));
        Assert.Equal("no-such-run", error.RunId);
    }

    [Fact]
    public async Task CancelAsync_RunningRun_EndsCancelledWithReason()
    {
        using var client = fixture.Client();
        var runId = await client.TriggerAsync("blocked", null);
        await RunWaits.WaitForStatus(client, runId, RunStatus.Running, r => r.Steps.Count > 0);

        await client.CancelAsync(runId, "no longer needed");
        var run = await client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Contains("no longer needed", run.Error?.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RunNotFoundException>(() => client.CancelAsync("no-such-run"));
    }

    [Fact]
    public async Task PurgeRunAsync_EndedRunThenAgain_TrueThenFalse()
    {
        using var client = fixture.Client();
        var runId = await client.TriggerAsync("echo", new { n = 1 });
        await client.WaitForRunAsync(runId, Wait);

        Assert.True(await client.PurgeRunAsync(runId));

        Assert.Null(await client.GetRunAsync(runId));
        Assert.False(await client.PurgeRunAsync(runId));
    }

    [Fact]
    public async Task PurgeRunAsync_RunningRun_ThrowsRunNotEndedAsTheEngineDoes()
    {
        using var client = fixture.Client();
        var runId = await client.TriggerAsync("blocked", null);
        await RunWaits.WaitForStatus(client, runId, RunStatus.Running, r => r.Steps.Count > 0);

        var error = await Assert.ThrowsAsync<RunNotEndedException>(() => client.PurgeRunAsync(runId));
        var engine = await Assert.ThrowsAsync<RunNotEndedException>(() => fixture.Host.Client.PurgeRunAsync(runId));

        Assert.Equal(runId, error.RunId);
        Assert.Equal(engine.Message, error.Message);
        Assert.Equal(engine.Reason, error.Reason);
        await client.CancelAsync(runId, "test over");
    }

    [Fact]
    public async Task ResumeAsync_PausedRun_ResumesWithDecision()
    {
        using var client = fixture.Client();
        var runId = await client.TriggerAsync("approval", null);
        var paused = await RunWaits.WaitForStatus(client, runId, RunStatus.Waiting, r => r.Pauses.Count == 1);
        var token = paused.Pauses[0].Token;

        var invalid = await Assert.ThrowsAsync<InvalidResumePayloadException>(() => client.ResumeAsync(token, new { approved = "yes" }));
        await client.ResumeAsync(token, new { approved = true, approvedBy = "ana" });
        var run = await client.WaitForRunAsync(runId, Wait);

        Assert.Equal("approved", invalid.Field);
        Assert.Equal("manager-approval", paused.Pauses[0].Step);
        Assert.Equal("True:ana", run.Output.As<string>());
        await Assert.ThrowsAsync<ResumeTokenNotFoundException>(() => client.ResumeAsync(token, new { approved = true }));
    }

    [Fact]
    public async Task PublishEventAsync_SubscribedWorkflow_StartsOneRunPerSubscriber()
    {
        using var client = fixture.Client();

        var runIds = await client.PublishEventAsync("order.created", new { id = "o-7" });
        var run = await client.WaitForRunAsync(Assert.Single(runIds), Wait);
        var none = await client.PublishEventAsync("nobody.listens", null);

        Assert.Equal("on-created", run.WorkflowId);
        Assert.Equal("o-7", run.Output.As<string>());
        Assert.Empty(none);
    }

    [Fact]
    public async Task ReplayAsync_FinishedRun_StartsNewRunWithOriginalPayload()
    {
        using var client = fixture.Client();
        var original = await client.TriggerAsync("echo", new { replay = "me" });
        await client.WaitForRunAsync(original, Wait);

        var replayId = await client.ReplayAsync(original);
        var replay = await client.WaitForRunAsync(replayId, Wait);

        Assert.NotEqual(original, replayId);
        Assert.Equal(original, replay.ReplayOf);
        Assert.Equal("me", replay.Output["replay"].As<string>());
        await Assert.ThrowsAsync<RunNotFoundException>(() => client.ReplayAsync("no-such-run"));
    }

    [Fact]
    public async Task ListRunsAsync_PrefixAndPageSize_PagesThroughMatchingRuns()
    {
        using var client = fixture.Client();
        var prefix = "list-" + Guid.NewGuid().ToString("N")[..8] + "-";
        foreach (var n in new[] { 1, 2, 3 })
        {
            await client.WaitForRunAsync(await client.TriggerAsync("echo", new { n }, prefix + n), Wait);
        }

        var seen = new List<string>();
        var query = new RunQuery { RunIdPrefix = prefix, WorkflowId = "echo", Status = RunStatus.Completed, PageSize = 2 };
        var pages = 0;
        do
        {
            var page = await client.ListRunsAsync(query);
            seen.AddRange(page.Runs.Select(r => r.Id));
            query = query with { ContinuationToken = page.ContinuationToken };
            pages++;
        }
        while (query.ContinuationToken is not null && pages < 10);
        var empty = await client.ListRunsAsync(new RunQuery { RunIdPrefix = prefix, Status = RunStatus.Failed });

        Assert.Equal([prefix + 1, prefix + 2, prefix + 3], seen.Order(StringComparer.Ordinal));
        Assert.True(pages >= 2, $"{pages} page(s)");
        Assert.Empty(empty.Runs);
    }

    [Fact]
    public async Task AnyMethod_WithoutOrWithWrongKey_ThrowsCronflowApiException401()
    {
        using var keyless = fixture.Client(key: null);
        using var wrong = fixture.Client(key: "not-the-key-0123456789");

        var missing = await Assert.ThrowsAsync<CronflowApiException>(() => keyless.TriggerAsync("echo", null));
        var refused = await Assert.ThrowsAsync<CronflowApiException>(() => wrong.GetRunAsync("any"));

        Assert.Equal(401, missing.StatusCode);
        Assert.Equal("unauthorized", missing.ErrorCode);
        Assert.Equal(401, refused.StatusCode);
    }

    [Fact]
    public async Task FunctionsKey_Set_SentAsFunctionsKeyHeader()
    {
        var seen = new List<string?>();
        using var http = new HttpClient(new HeaderRecorder(seen)) { BaseAddress = fixture.Url };
        var client = new CronflowHttpClient(http, new CronflowHttpClientOptions { FunctionsKey = "functions-key-1" });

        // The local host knows API keys, not Functions keys: it refuses the request, which carried the Functions key.
        var error = await Assert.ThrowsAsync<CronflowApiException>(() => client.ListRunsAsync(new RunQuery()));

        Assert.Equal(401, error.StatusCode);
        Assert.Equal(["functions-key-1"], seen);
    }

    [Fact]
    public void ToException_AnswerWithoutErrorBody_IsCronflowApiExceptionWithoutCode()
    {
        var error = Assert.IsType<CronflowApiException>(CronflowHttpClient.ToException(401, null, new CronflowHttpClient.ErrorContext()));

        Assert.Equal(401, error.StatusCode);
        Assert.Null(error.ErrorCode);
    }

    private sealed class HeaderRecorder(List<string?> seen) : DelegatingHandler(new HttpClientHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.Headers.TryGetValues("x-functions-key", out var values) ? values.Single() : null);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
