using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cronflow.Functions.Tests;

public sealed class CronflowWebhookFunctionTests : IAsyncDisposable
{
    private const string Body = """{ "email": "ada@example.com", "plan": "pro" }""";

    private readonly FunctionsTestHost _host = new();

    private CronflowWebhookFunction Function => new(_host.Runtime);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static Dictionary<string, string> SignedHeaders(string body, string? idempotencyKey = null, long? signedAt = null)
    {
        var timestamp = signedAt ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var headers = new Dictionary<string, string>
        {
            ["X-Tenant"] = "acme",
            ["X-Cronflow-Timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["X-Cronflow-Signature"] = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(FunctionsTestHost.Secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"))),
            ["Authorization"] = "Bearer abc",
        };
        if (idempotencyKey is not null)
        {
            headers["Idempotency-Key"] = idempotencyKey;
        }

        return headers;
    }

    private async Task<FakeHttpResponseData> SendAsync(string method, string path, string? body, IReadOnlyDictionary<string, string>? headers = null) =>
        Assert.IsType<FakeHttpResponseData>(await Function.RunAsync(
            new FakeHttpRequestData(TestContexts.Function(), method, "https://app.example/api" + path, body, headers),
            _host.Client.Object));

    [Fact]
    public async Task RunAsync_SignedValidDelivery_StartsRunAndReturns202()
    {
        var response = await SendAsync("POST", "/webhooks/signup", Body, SignedHeaders(Body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (_, id, input) = Assert.Single(_host.Started);
        Assert.Equal(id, response.Json.GetProperty("runId").GetString());
        Assert.Equal("signup", input.GetProperty("wf").GetString());
        var trigger = input.GetProperty("trigger");
        Assert.Equal("Webhook", trigger.GetProperty("kind").GetString());
        Assert.Equal("/webhooks/signup", trigger.GetProperty("source").GetString());
        Assert.Equal("acme", trigger.GetProperty("headers").GetProperty("x-tenant").GetString());
        Assert.False(trigger.GetProperty("headers").TryGetProperty("authorization", out _));
        Assert.False(trigger.GetProperty("headers").TryGetProperty("x-cronflow-signature", out _));
    }

    [Fact]
    public async Task RunAsync_PathOutsideWebhooksFolder_IsServed()
    {
        var response = await SendAsync("POST", "/github/push", """{ "ref": "main" }""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("github", Assert.Single(_host.Started).Input.GetProperty("wf").GetString());
    }

    [Fact]
    public async Task RunAsync_SchemaViolations_Returns400ListingEachAndStartsNothing()
    {
        const string body = """{ "plan": 3 }""";

        var response = await SendAsync("POST", "/webhooks/signup", body, SignedHeaders(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problems = response.Json.GetProperty("error").GetProperty("problems").EnumerateArray().ToList();
        Assert.Contains(problems, p => p.GetProperty("path").GetString() == "" && p.GetProperty("message").GetString()!.Contains("email", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.GetProperty("path").GetString() == "/plan");
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task RunAsync_BadJson_Returns400()
    {
        const string body = "not json";

        var response = await SendAsync("POST", "/webhooks/signup", body, SignedHeaders(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_json", response.Json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task RunAsync_BadSignature_Returns401AndStartsNothing()
    {
        var headers = SignedHeaders(Body);
        headers["X-Cronflow-Signature"] = "sha256=deadbeef";

        var response = await SendAsync("POST", "/webhooks/signup", Body, headers);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("bad_signature", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task RunAsync_MissingRequiredHeader_Returns401()
    {
        var headers = SignedHeaders(Body);
        headers.Remove("X-Tenant");

        var response = await SendAsync("POST", "/webhooks/signup", Body, headers);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("x-tenant", response.Json.GetProperty("error").GetProperty("problems")[0].GetProperty("path").GetString());
    }

    [Fact]
    public async Task RunAsync_UnknownPath_Returns404()
    {
        var response = await SendAsync("POST", "/webhooks/other", "{}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("route_not_found", response.Json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task RunAsync_WrongMethod_Returns405WithAllow()
    {
        var response = await SendAsync("GET", "/webhooks/signup", null);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("POST", response.Header("Allow"));
    }

    [Fact]
    public async Task RunAsync_OversizeBody_Returns413AndStartsNothing()
    {
        var response = await SendAsync("POST", "/github/push", JsonSerializer.Serialize(new string('x', 5000)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task RunAsync_SameSignedDeliveryReplayedWithOtherIdempotencyKeys_StartsOneRun()
    {
        var signedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var responses = new List<FakeHttpResponseData>();
        for (var replay = 0; replay < 4; replay++)
        {
            responses.Add(await SendAsync("POST", "/webhooks/signup", Body, SignedHeaders(Body, $"evt-{replay}", signedAt)));
        }

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single(responses.Select(r => r.Json.GetProperty("runId").GetString()).Distinct());
        Assert.Single(_host.Started);
    }

    [Fact]
    public async Task RunAsync_StaleSignature_Returns401AndStartsNothing()
    {
        var response = await SendAsync("POST", "/webhooks/signup", Body, SignedHeaders(Body, signedAt: DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("stale_signature", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task RunAsync_SameIdempotencyKeyOnUnsignedWebhook_ReturnsSameRunId()
    {
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "evt-1" };
        var first = await SendAsync("POST", "/github/push", """{ "ref": "main" }""", key);
        var second = await SendAsync("POST", "/github/push", """{ "ref": "main" }""", key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(first.Json.GetProperty("runId").GetString(), second.Json.GetProperty("runId").GetString());
        Assert.Single(_host.Started);
    }

    [Fact]
    public async Task RunAsync_SameIdempotencyKeyOtherBodyOnUnsignedWebhook_Returns409()
    {
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "evt-2" };
        await SendAsync("POST", "/github/push", """{ "ref": "main" }""", key);

        var response = await SendAsync("POST", "/github/push", """{ "ref": "dev" }""", key);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task RunAsync_ManagementPathReachingTheAnonymousRoute_Returns401()
    {
        var response = await SendAsync("POST", "/workflows/echo/runs", "{}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_host.Started);
    }
}
