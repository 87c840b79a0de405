using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cronflow.Tests.Hosting;

/// <summary>
/// Requests an attacker would send to the local host: from a web page (foreign Host or Origin, form posts), without
/// the key, with bodies that never arrive, deep JSON, forged paging tokens, internal instance ids, control characters.
/// Every answer is checked for its status and error code, and that nothing was started.
/// </summary>
public sealed class HostileHttpTests
{
    private const string Key = "hostile-test-key-0123456789";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static IWorkflowBuilder Echo() => Workflow.Define("echo").Step("echo", ctx => ctx.Payload);

    private static IWorkflowBuilder Orders() => Workflow.Define("orders")
        .OnWebhook("/webhooks/orders", _ => { })
        .Step("accept", ctx => ctx.Payload);

    private static IWorkflowBuilder SlashCommand() => Workflow.Define("slash")
        .OnWebhook("/webhooks/slash", w => w.AcceptContentType("application/x-www-form-urlencoded"))
        .Step("seen", ctx => ctx.Payload);

    private static IWorkflowBuilder Capped() => Workflow.Define("capped", o => o.Concurrency = 1).Step("echo", ctx => ctx.Payload);

    private static Task<CronflowHost> StartAsync(string? apiKey = null, CapturingLoggerFactory? logs = null) =>
        CronflowHost.StartAsync(
            c =>
            {
                c.AddWorkflow(Echo());
                c.AddWorkflow(Orders());
                c.AddWorkflow(SlashCommand());
                c.AddWorkflow(Capped());
            },
            o =>
            {
                o.ListenOn("http://127.0.0.1:0");
                o.ApiKey = apiKey;
                o.LoggerFactory = logs;
            });

    private static async Task AssertNoRunsAsync(CronflowHost host) => Assert.Empty((await host.Client.ListRunsAsync(new RunQuery())).Runs);

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Port(CronflowHost host) => new Uri(host.Urls.Single()).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // ---- DNS rebinding: a foreign Host header ---------------------------------------------------

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:{port}")]
    [InlineData("localhost.evil.example:{port}")]
    [InlineData("127.0.0.1.nip.io:{port}")]
    [InlineData("10.0.0.7:{port}")]
    public async Task KeylessHost_ForeignHostHeader_Answers403ForbiddenHostAndStartsNothing(string hostHeader)
    {
        await using var host = await StartAsync();
        var head = $"POST /api/workflows/echo/runs HTTP/1.1\r\nHost: {hostHeader.Replace("{port}", Port(host), StringComparison.Ordinal)}\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close";

        var response = await RawHttp.SendAsync(host.Urls[0], head, """{"n":123}"""u8.ToArray());

        Assert.Equal(403, response.Status);
        Assert.Equal("forbidden_host", response.ErrorCode);
        await AssertNoRunsAsync(host);
    }

    [Fact]
    public async Task KeylessHost_ForeignHostHeader_DoesNotListRuns()
    {
        await using var host = await StartAsync();
        var runId = await host.Client.TriggerAsync("echo", new { secret = "payload-of-a-run" });
        await host.Client.WaitForRunAsync(runId, Wait);

        var response = await RawHttp.SendAsync(host.Urls[0], "GET /api/runs HTTP/1.1\r\nHost: rebound.evil.example\r\nConnection: close");

        Assert.Equal(403, response.Status);
        Assert.Equal("forbidden_host", response.ErrorCode);
        Assert.DoesNotContain("payload-of-a-run", response.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:{port}")]
    [InlineData("LOCALHOST")]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("[::1]:{port}")]
    public async Task KeylessHost_LoopbackHostHeader_IsServed(string hostHeader)
    {
        await using var host = await StartAsync();

        var response = await RawHttp.SendAsync(host.Urls[0], $"GET /api/runs HTTP/1.1\r\nHost: {hostHeader.Replace("{port}", Port(host), StringComparison.Ordinal)}\r\nConnection: close");

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task KeyedHost_ForeignHostHeaderWithKey_IsServed()
    {
        await using var host = await StartAsync(Key);

        var response = await RawHttp.SendAsync(host.Urls[0], $"GET /api/runs HTTP/1.1\r\nHost: cronflow.internal.example\r\nx-api-key: {Key}\r\nConnection: close");

        Assert.Equal(200, response.Status);
    }

    // ---- cross-site requests: a foreign Origin -------------------------------------------------

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("null")]
    [InlineData("http://localhost:3000")]
    [InlineData("https://127.0.0.1:{port}")]
    public async Task KeylessHost_ForeignOrigin_Answers403ForbiddenOriginAndStartsNothing(string origin)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/workflows/echo/runs") { Content = Json("""{"n":1}""") };
        request.Headers.Add("Origin", origin.Replace("{port}", Port(host), StringComparison.Ordinal));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden_origin", await ErrorCodeAsync(response));
        await AssertNoRunsAsync(host);
    }

    [Fact]
    public async Task KeylessHost_OwnOrigin_IsServed()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/workflows/echo/runs") { Content = Json("""{"n":1}""") };
        request.Headers.Add("Origin", host.Urls[0]);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    // ---- form posts and other bodies that are not JSON -------------------------------------------

    [Theory]
    [InlineData("/api/workflows/echo/runs", "text/plain")]
    [InlineData("/api/workflows/echo/runs", "application/x-www-form-urlencoded")]
    [InlineData("/api/workflows/echo/runs", "multipart/form-data; boundary=x")]
    [InlineData("/api/workflows/echo/runs", null)]
    [InlineData("/api/events/order.created", "text/plain; charset=utf-8")]
    [InlineData("/api/webhooks/orders", "text/plain")]
    [InlineData("/api/webhooks/orders", "application/jsonp")]
    public async Task KeylessHost_BodyNotJson_Answers415AndStartsNothing(string path, string? contentType)
    {
        await using var host = await StartAsync();
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{Port(host)}\r\n" +
            (contentType is null ? "" : $"Content-Type: {contentType}\r\n") + "Content-Length: 7\r\nConnection: close";

        var response = await RawHttp.SendAsync(host.Urls[0], head, """{"n":1}"""u8.ToArray());

        Assert.Equal(415, response.Status);
        Assert.Equal("unsupported_media_type", response.ErrorCode);
        await AssertNoRunsAsync(host);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON; charset=utf-8")]
    [InlineData("application/cloudevents+json")]
    public async Task KeylessHost_JsonMediaTypes_AreAccepted(string contentType)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };
        using var content = new ByteArrayContent("""{"n":1}"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await http.PostAsync("/api/workflows/echo/runs", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Webhook_DeclaredFormType_RunsWithTheFieldsAsPayload()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };

        using var response = await http.PostAsync("/api/webhooks/slash", new FormUrlEncodedContent([new("command", "/deploy"), new("text", "api v2")]));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("/deploy", run.Output["command"].As<string>());
        Assert.Equal("api v2", run.Output["text"].As<string>());
    }

    // ---- the key is checked before the body is read ------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("x-api-key: wrong-key-0123456789\r\n")]
    [InlineData("x-api-key: hostile-test-key-012345678\r\n")]
    [InlineData("Authorization: Bearer hostile-test-key-01234567890\r\n")]
    public async Task KeyedHost_NoOrWrongKey_Answers401BeforeTheBodyArrives(string credentials)
    {
        await using var host = await StartAsync(Key);
        var head = $"POST /api/workflows/echo/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n{credentials}Content-Type: application/json\r\nContent-Length: 1000000";

        // A kilobyte of a million every half second: the answer must come while the rest is still missing.
        var response = await RawHttp.SendTricklingAsync(host.Urls[0], head);

        Assert.Equal(401, response.Status);
        Assert.Equal("unauthorized", response.ErrorCode);
        await AssertNoRunsAsync(host);
    }

    [Fact]
    public async Task KeyedHost_HundredClientsTricklingBodiesWithoutKey_AreAllAnswered401()
    {
        await using var host = await StartAsync(Key);
        const string head = "POST /api/workflows/echo/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000";

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => RawHttp.SendTricklingAsync(host.Urls[0], head)));

        Assert.All(answers, a => Assert.Equal((401, "unauthorized"), (a.Status, a.ErrorCode)));
        await AssertNoRunsAsync(host);
    }

    [Theory]
    [InlineData("/api/workflows/echo/runs")]
    [InlineData("/api/webhooks/orders")]
    public async Task KeyedHost_DeclaredLengthOverLimit_Answers413BeforeTheBodyArrives(string path)
    {
        await using var host = await StartAsync(Key);
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {Key}\r\nContent-Type: application/json\r\nContent-Length: 2000000";

        var response = await RawHttp.SendTricklingAsync(host.Urls[0], head);

        Assert.Equal(413, response.Status);
        Assert.Equal("payload_too_large", response.ErrorCode);
        await AssertNoRunsAsync(host);
    }

    // ---- deep JSON ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("/api/workflows/echo/runs", 33)]
    [InlineData("/api/workflows/echo/runs", 64)]
    [InlineData("/api/workflows/echo/runs", 100000)]
    [InlineData("/api/events/order.created", 40)]
    [InlineData("/api/webhooks/orders", 65)]
    public async Task KeylessHost_JsonDeeperThan32_Answers400TooDeepAndStartsNothing(string path, int depth)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };

        using var response = await http.PostAsync(path, Json(new string('[', depth) + new string(']', depth)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("too_deep", error.GetProperty("code").GetString());
        Assert.Equal("The body is nested deeper than 32 levels, the limit of every route.", error.GetProperty("message").GetString());
        await AssertNoRunsAsync(host);
    }

    [Theory]
    [InlineData("/api/workflows/echo/runs")]
    [InlineData("/api/webhooks/orders")]
    public async Task KeylessHost_Json32Deep_IsAcceptedAndTheRunCompletes(string path)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };
        var body = new string('[', 31) + "{\"leaf\":7}" + new string(']', 31);

        using var response = await http.PostAsync(path, Json(body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(body, run.Output.ToString());
        using var status = await http.GetAsync($"/api/runs/{runId}");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    // ---- paging tokens -------------------------------------------------------------------------------

    [Theory]
    [InlineData("zzz")]
    [InlineData("AAAA%3D%3D")]
    [InlineData("eyJ0b2tlbiI6dHJ1ZX0")]
    [InlineData("%00%0A")]
    public async Task KeylessHost_BadContinuationToken_Answers400NamingIt(string token)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };

        using var response = await http.GetAsync($"/api/runs?continuationToken={token}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        Assert.Equal("continuationToken", error.GetProperty("problems")[0].GetProperty("path").GetString());
    }

    // ---- internal orchestrations are not runs ----------------------------------------------------------

    [Theory]
    [InlineData("GET", "")]
    [InlineData("POST", "/cancel")]
    [InlineData("POST", "/events/cronflow.gate")]
    [InlineData("POST", "/replay")]
    public async Task KeylessHost_ConcurrencyGateAddressedAsRun_Answers404AndLeavesTheGateWorking(string method, string suffix)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };
        using var request = new HttpRequestMessage(new HttpMethod(method), "/api/runs/cronflow-gate~capped" + suffix);
        if (method == "POST")
        {
            request.Content = Json("""{"op":"release","runId":"x"}""");
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("run_not_found", await ErrorCodeAsync(response));
        await AssertNoRunsAsync(host);
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("capped", new { n = 1 }), Wait);
        Assert.Equal(RunStatus.Completed, run.Status);
    }

    [Fact]
    public async Task KeylessHost_ForEachChunkIdAddressedAsRun_Answers404()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };
        var runId = await host.Client.TriggerAsync("echo", new { n = 1 });
        await host.Client.WaitForRunAsync(runId, Wait);

        using var response = await http.GetAsync($"/api/runs/{runId}~0~chunk");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("run_not_found", await ErrorCodeAsync(response));
    }

    // ---- control characters and internal messages ------------------------------------------------------

    [Theory]
    [InlineData("/api/nowhere%0Aforged%20line")]
    [InlineData("/api/runs/a%0D%0Ab/cancel")]
    [InlineData("/api/workflows/x%1B%5B31m/runs")]
    public async Task KeylessHost_ControlCharactersInPath_AreNotEchoed(string path)
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };

        using var response = await http.PostAsync(path, Json("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("message").GetString()!;
        Assert.DoesNotContain(message, char.IsControl);
        Assert.Contains("\\u00", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeylessHost_LibraryArgumentException_AnswersOwnMessageAndLogsOneLine()
    {
        var logs = new CapturingLoggerFactory();
        await using var host = await StartAsync(logs: logs);
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls[0]) };

        using var response = await http.PostAsync("/api/runs/some-run/events/%20%0A%20", Json("{}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        Assert.Equal("The request is invalid.", error.GetProperty("message").GetString());
        var entry = Assert.Single(logs.Entries, e => e.Category == "Cronflow.Http");
        Assert.Equal("Cronflow API request POST /runs/some-run/events/ \\u000A  was rejected as invalid", entry.Message);
    }
}
