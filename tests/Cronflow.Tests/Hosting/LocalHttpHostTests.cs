using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cronflow.Tests.Hosting;

public sealed class LocalHttpHostTests
{
    private const string Key = "local-test-key-0123456789";

    private static IWorkflowBuilder Orders() => Workflow.Define("orders")
        .OnWebhook("/webhooks/orders", w => w.Schema<OrderRequest>())
        .Step("accept", ctx => new { accepted = ctx.Payload["orderId"].As<string>(), via = ctx.Trigger.Kind.ToString() });

    [Fact]
    public async Task ListenOn_PortZero_ServesApiAndReportsBoundUrl()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Orders()), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };

        var health = await http.GetFromJsonAsync<JsonElement>("/api/health");
        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        Assert.StartsWith("http://127.0.0.1:", host.Urls[0], StringComparison.Ordinal);
        Assert.NotEqual("http://127.0.0.1:0", host.Urls[0]);

        var trigger = await http.PostAsync("/api/workflows/orders/runs", Json(new { orderId = "A-1" }));
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var runId = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        var run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));
        Assert.Equal("A-1", run.Output["accepted"].As<string>());

        var status = await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");
        Assert.Equal("Completed", status.GetProperty("status").GetString());
        Assert.Equal("accept", status.GetProperty("steps")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task ListRuns_RunIdPrefixAndCreatedRange_ListOnlyMatchingRuns()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Orders()), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        foreach (var id in new[] { "team-a-1", "team-a-2", "team-b-1" })
        {
            await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("orders", new { orderId = id }, id), TimeSpan.FromSeconds(20));
        }

        var created = (await host.Client.GetRunAsync("team-a-1"))!.CreatedAt;

        var prefixed = await http.GetFromJsonAsync<JsonElement>("/api/runs?runIdPrefix=team-a-");
        var inRange = await http.GetFromJsonAsync<JsonElement>($"/api/runs?runIdPrefix=team-&createdFrom={Uri.EscapeDataString(created.AddMinutes(-1).ToString("O"))}&createdTo={Uri.EscapeDataString(created.AddMinutes(1).ToString("O"))}");
        var future = await http.GetFromJsonAsync<JsonElement>($"/api/runs?createdFrom={Uri.EscapeDataString(created.AddDays(1).ToString("O"))}");
        var bad = await http.GetAsync("/api/runs?createdFrom=yesterday&createdTo=2026-13-01");

        Assert.Equal(["team-a-2", "team-a-1"], Ids(prefixed).Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(["team-a-1", "team-a-2", "team-b-1"], Ids(inRange).Order(StringComparer.Ordinal));
        Assert.Empty(Ids(future));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problems = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("problems");
        Assert.Equal(["createdFrom", "createdTo"], problems.EnumerateArray().Select(p => p.GetProperty("path").GetString()));

        static IEnumerable<string> Ids(JsonElement page) => page.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task Webhook_ValidBody_Answers202AndRunsAsWebhook()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Orders()), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };

        var response = await http.PostAsync("/api/webhooks/orders", Json(new { orderId = "W-7", amount = 10 }));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        var run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));
        Assert.Equal("Webhook", run.Output["via"].As<string>());
    }

    [Fact]
    public async Task Webhook_BadInput_AnswersClientErrorsAndStartsNothing()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Orders()), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };

        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/webhooks/orders", new StringContent("{not json", Encoding.UTF8, "application/json"))).StatusCode);
        var schema = await http.PostAsync("/api/webhooks/orders", Json(new { amount = "ten" }));
        Assert.Equal(HttpStatusCode.BadRequest, schema.StatusCode);
        Assert.Equal("schema_violation", (await schema.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/webhooks/nowhere", Json(new { }))).StatusCode);
        var wrongMethod = await http.GetAsync("/api/webhooks/orders");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Contains("POST", wrongMethod.Content.Headers.Allow);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.PostAsync("/api/webhooks/orders", Json(new { orderId = new string('x', 2 * 1024 * 1024) }))).StatusCode);

        var page = await host.Client.ListRunsAsync(new RunQuery());
        Assert.Empty(page.Runs);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/health")).StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Webhook_BodyOverLimit_ClientStillSendingReads413(bool withContentLength)
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Orders()), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var body = Encoding.UTF8.GetBytes($"{{\"orderId\":\"{new string('x', 3 * 1024 * 1024)}\"}}");

        // Without a length the body goes chunked, so the server learns it is too large only while reading it.
        HttpContent content = withContentLength ? new ByteArrayContent(body) : new StreamContent(new UnseekableStream(body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("/api/webhooks/orders", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Empty((await host.Client.ListRunsAsync(new RunQuery())).Runs);
    }

    [Fact]
    public async Task ApiKey_ManagementRoutesNeedKey_WebhooksAndHealthDoNot()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Orders()), o =>
        {
            o.ListenOn("http://127.0.0.1:0");
            o.ApiKey = Key;
        });
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/workflows/orders/runs", Json(new { orderId = "1" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/runs")).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/runs") { Headers = { { "x-api-key", Key + "x" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/runs") { Headers = { { "x-api-key", Key } } };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right)).StatusCode);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/runs") { Headers = { { "Authorization", "Bearer " + Key } } };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync("/api/webhooks/orders", Json(new { orderId = "2" }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/health")).StatusCode);
    }

    [Fact]
    public async Task ListenOn_AllInterfacesWithoutKey_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            CronflowHost.StartAsync(c => c.AddWorkflow(Orders()), o => o.ListenOn("http://0.0.0.0:0")));

        Assert.StartsWith("Refusing to serve the Cronflow API on http://0.0.0.0:0 without an API key", ex.Message, StringComparison.Ordinal);
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    public sealed record OrderRequest(string OrderId, int Amount);

    /// <summary>A stream whose length is unknown, so that HttpClient sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
