using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Cronflow.Tests.Scheduling;

namespace Cronflow.Tests.Http;

/// <summary>Signed webhooks over real HTTP on the local host: timestamps, replays and the senders' presets.</summary>
public sealed class SignedWebhookTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private const string Secret = "signed-hook-secret";

    private const string Body = """{ "orderId": "S-1" }""";

    /// <summary>GitHub's example from "Validating webhook deliveries".</summary>
    private const string GitHubSecret = "It's a Secret to Everybody";
    private const string GitHubBody = "Hello, World!";
    private const string GitHubSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    /// <summary>Slack's example from "Verifying requests from Slack".</summary>
    private const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const long SlackTimestamp = 1531420618;
    private const string SlackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string SlackSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    private static Task<CronflowHost> StartAsync(TimeProvider clock) => CronflowHost.StartAsync(
        c => c
            .AddWorkflow(Workflow.Define("signed")
                .OnWebhook("/hooks/signed", w => w.Secret = Secret)
                .Step("echo", ctx => ctx.Payload))
            .AddWorkflow(Workflow.Define("github")
                .OnWebhook("/hooks/github", w =>
                {
                    w.Signature = WebhookSignature.GitHub(GitHubSecret);
                    w.Accept("text/plain");
                })
                .Step("echo", ctx => ctx.Payload))
            .AddWorkflow(Workflow.Define("stripe")
                .OnWebhook("/hooks/stripe", w => w.Signature = WebhookSignature.Stripe(Secret))
                .Step("echo", ctx => ctx.Payload))
            .AddWorkflow(Workflow.Define("slack")
                .OnWebhook("/hooks/slack", w =>
                {
                    w.Signature = WebhookSignature.Slack(SlackSecret);
                    w.Accept("application/x-www-form-urlencoded");
                })
                .Step("command", ctx => new { command = ctx.Payload["command"].As<string>(), user = ctx.Payload["user_name"].As<string>() })),
        o =>
        {
            o.ListenOn("http://127.0.0.1:0");
            o.TimeProvider = clock;
        });

    private static HttpRequestMessage Post(string path, string body, IEnumerable<KeyValuePair<string, string>> headers, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    private static Dictionary<string, string> CronflowHeaders(long timestamp, string body, string secret = Secret) => new()
    {
        ["x-cronflow-timestamp"] = timestamp.ToString(CultureInfo.InvariantCulture),
        ["x-cronflow-signature"] = "sha256=" + HttpApiFixture.Sign(secret, $"{timestamp}.{body}"),
    };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        using (var response = await http.SendAsync(request))
        {
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }
    }

    private static async Task<int> RunCountAsync(CronflowHost host, string workflowId) =>
        (await host.Client.ListRunsAsync(new RunQuery { WorkflowId = workflowId, PageSize = 1000 })).Runs.Count;

    private static string ErrorCode(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    [Fact]
    public async Task Webhook_SameSignedDeliveryReplayedWithOtherIdempotencyKeys_StartsOneRun()
    {
        var clock = new FakeClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var host = await StartAsync(clock);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var headers = CronflowHeaders(1_800_000_000, Body);

        var ids = new List<string>();
        for (var replay = 0; replay < 4; replay++)
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            var (status, body) = await SendAsync(http, Post("/api/hooks/signed", Body, headers.Append(new("Idempotency-Key", $"key-{replay}"))));
            Assert.Equal(HttpStatusCode.Accepted, status);
            ids.Add(body.GetProperty("runId").GetString()!);
        }

        Assert.Single(ids.Distinct());
        Assert.Matches("^wh-[0-9a-f]{32}$", ids[0]);
        Assert.Equal(RunStatus.Completed, (await host.Client.WaitForRunAsync(ids[0], Wait)).Status);
        Assert.Equal(1, await RunCountAsync(host, "signed"));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Webhook_TimestampOutsideTolerance_Returns401StaleSignatureAndStartsNothing(int offsetSeconds)
    {
        var clock = new FakeClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var host = await StartAsync(clock);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };

        var (status, body) = await SendAsync(http, Post("/api/hooks/signed", Body, CronflowHeaders(1_800_000_000 + offsetSeconds, Body)));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("stale_signature", ErrorCode(body));
        Assert.Equal("x-cronflow-timestamp", body.GetProperty("error").GetProperty("problems")[0].GetProperty("path").GetString());
        Assert.Equal(0, await RunCountAsync(host, "signed"));
    }

    [Fact]
    public async Task Webhook_DeliveryReplayedAfterTheTolerance_Returns401StaleSignatureAndKeepsOneRun()
    {
        var clock = new FakeClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var host = await StartAsync(clock);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var headers = CronflowHeaders(1_800_000_000, Body);
        var (first, _) = await SendAsync(http, Post("/api/hooks/signed", Body, headers));

        clock.Advance(TimeSpan.FromMinutes(6));
        var (replayed, body) = await SendAsync(http, Post("/api/hooks/signed", Body, headers));

        Assert.Equal(HttpStatusCode.Accepted, first);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed);
        Assert.Equal("stale_signature", ErrorCode(body));
        Assert.Equal(1, await RunCountAsync(host, "signed"));
    }

    [Fact]
    public async Task Webhook_MissingTimestampOrBodyOnlySignature_Returns401BadSignatureAndStartsNothing()
    {
        var clock = new FakeClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var host = await StartAsync(clock);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var bodyOnly = new Dictionary<string, string> { ["x-cronflow-signature"] = "sha256=" + HttpApiFixture.Sign(Secret, Body) };
        var bodyOnlyWithTimestamp = new Dictionary<string, string>(bodyOnly) { ["x-cronflow-timestamp"] = "1800000000" };
        var otherTimestamp = CronflowHeaders(1_800_000_000, Body);
        otherTimestamp["x-cronflow-timestamp"] = "1800000001";

        var (missing, missingBody) = await SendAsync(http, Post("/api/hooks/signed", Body, bodyOnly));
        var (unstamped, unstampedBody) = await SendAsync(http, Post("/api/hooks/signed", Body, bodyOnlyWithTimestamp));
        var (moved, movedBody) = await SendAsync(http, Post("/api/hooks/signed", Body, otherTimestamp));

        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        Assert.Equal("bad_signature", ErrorCode(missingBody));
        Assert.Equal("The timestamp header 'x-cronflow-timestamp' is missing.", missingBody.GetProperty("error").GetProperty("problems")[0].GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unstamped);
        Assert.Equal("bad_signature", ErrorCode(unstampedBody));
        Assert.Equal(HttpStatusCode.Unauthorized, moved);
        Assert.Equal("bad_signature", ErrorCode(movedBody));
        Assert.Equal(0, await RunCountAsync(host, "signed"));
    }

    [Fact]
    public async Task Webhook_GitHubPresetWithGitHubsExample_Returns202AndRedeliveryStartsNothingNew()
    {
        await using var host = await StartAsync(new FakeClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var headers = new Dictionary<string, string> { ["X-Hub-Signature-256"] = GitHubSignature };

        var (status, body) = await SendAsync(http, Post("/api/hooks/github", GitHubBody, headers, "text/plain"));
        var (again, againBody) = await SendAsync(http, Post("/api/hooks/github", GitHubBody, headers, "text/plain"));
        var (tampered, tamperedBody) = await SendAsync(http, Post("/api/hooks/github", GitHubBody + "!", headers, "text/plain"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var runId = body.GetProperty("runId").GetString()!;
        Assert.Equal(HttpStatusCode.Accepted, again);
        Assert.Equal(runId, againBody.GetProperty("runId").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, tampered);
        Assert.Equal("bad_signature", ErrorCode(tamperedBody));
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(GitHubBody, run.Output.As<string>());
        Assert.Equal(1, await RunCountAsync(host, "github"));
    }

    [Fact]
    public async Task Webhook_SlackPresetWithSlacksExampleForm_Returns202AndRunsWithTheFormFields()
    {
        var clock = new FakeClock(DateTimeOffset.FromUnixTimeSeconds(SlackTimestamp + 10));
        await using var host = await StartAsync(clock);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var headers = new Dictionary<string, string> { ["X-Slack-Request-Timestamp"] = SlackTimestamp.ToString(CultureInfo.InvariantCulture), ["X-Slack-Signature"] = SlackSignature };

        var (status, body) = await SendAsync(http, Post("/api/hooks/slack", SlackBody, headers, "application/x-www-form-urlencoded"));
        clock.Advance(TimeSpan.FromMinutes(10));
        var (late, lateBody) = await SendAsync(http, Post("/api/hooks/slack", SlackBody, headers, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var run = await host.Client.WaitForRunAsync(body.GetProperty("runId").GetString()!, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("/webhook-collect", run.Output["command"].As<string>());
        Assert.Equal("roadrunner", run.Output["user"].As<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, late);
        Assert.Equal("stale_signature", ErrorCode(lateBody));
        Assert.Equal(1, await RunCountAsync(host, "slack"));
    }

    [Fact]
    public async Task Webhook_StripePresetSignedPerStripesScheme_Returns202AndRejectsTamperedOrStale()
    {
        // Stripe publishes the scheme (t=…,v1=hex HMAC-SHA256 of "{t}.{body}") but no secret/signature example: the
        // signature here is computed from the documented scheme.
        const long t = 1_800_000_000;
        var clock = new FakeClock(DateTimeOffset.FromUnixTimeSeconds(t + 5));
        await using var host = await StartAsync(clock);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var v1 = HttpApiFixture.Sign(Secret, $"{t}.{Body}");
        var valid = new Dictionary<string, string> { ["Stripe-Signature"] = $"t={t},v1={new string('0', 64)},v1={v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39" };
        var tampered = new Dictionary<string, string> { ["Stripe-Signature"] = $"t={t + 1},v1={v1}" };

        var (status, body) = await SendAsync(http, Post("/api/hooks/stripe", Body, valid));
        var (bad, badBody) = await SendAsync(http, Post("/api/hooks/stripe", Body, tampered));
        clock.Advance(TimeSpan.FromMinutes(6));
        var (stale, staleBody) = await SendAsync(http, Post("/api/hooks/stripe", Body, valid));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(RunStatus.Completed, (await host.Client.WaitForRunAsync(body.GetProperty("runId").GetString()!, Wait)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, bad);
        Assert.Equal("bad_signature", ErrorCode(badBody));
        Assert.Equal(HttpStatusCode.Unauthorized, stale);
        Assert.Equal("stale_signature", ErrorCode(staleBody));
        Assert.Equal(1, await RunCountAsync(host, "stripe"));
    }

    [Fact]
    public void Verify_PublishedExamples_MatchTheirSignatures()
    {
        var github = WebhookSignature.GitHub(GitHubSecret).Verify(
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["X-Hub-Signature-256"] = GitHubSignature },
            Encoding.UTF8.GetBytes(GitHubBody),
            DateTimeOffset.UnixEpoch,
            TimeSpan.FromMinutes(5));
        var slack = WebhookSignature.Slack(SlackSecret).Verify(
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["X-Slack-Request-Timestamp"] = "1531420618", ["X-Slack-Signature"] = SlackSignature },
            Encoding.UTF8.GetBytes(SlackBody),
            DateTimeOffset.FromUnixTimeSeconds(SlackTimestamp),
            TimeSpan.FromMinutes(5));

        Assert.Equal(SignatureOutcome.Valid, github.Outcome);
        Assert.Equal(GitHubSignature["sha256=".Length..], Convert.ToHexStringLower(github.Mac!));
        Assert.Equal(SignatureOutcome.Valid, slack.Outcome);
        Assert.Equal(SlackSignature["v0=".Length..], Convert.ToHexStringLower(slack.Mac!));
    }

    [Fact]
    public void OnWebhook_NonPositiveToleranceAndBadAcceptedType_ReportsBothProblems()
    {
        var ex = Assert.Throws<WorkflowDefinitionException>(() => Workflow.Define("bad")
            .OnWebhook("/hooks/bad", w =>
            {
                w.Secret = Secret;
                w.SignatureTolerance = TimeSpan.Zero;
                w.Accept("form");
            })
            .Step("s", _ => 1)
            .Build());

        Assert.Contains("SignatureTolerance is 00:00:00; it must be positive.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("The accepted content type 'form' is not a media type", ex.Message, StringComparison.Ordinal);
    }
}
