using System.Text.Json;

namespace Cronflow.Tests.Http;

public sealed class WebhookTests(HttpApiFixture fixture) : IClassFixture<HttpApiFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private const string ValidOrder = """{ "orderId": "A-1", "quantity": 2, "customer": { "email": "a@example.com" } }""";

    [Fact]
    public async Task HandleAsync_ValidDelivery_Returns202AndStartsRunWithWebhookTrigger()
    {
        var response = await fixture.SendAsync("POST", "/webhooks/orders", ValidOrder, HttpApiFixture.OrderHeaders(ValidOrder), authorized: false);

        Assert.Equal(202, response.StatusCode);
        var runId = HttpApiFixture.Json(response).GetProperty("runId").GetString()!;
        var run = await fixture.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("A-1", run.Output["orderId"].As<string>());
        Assert.Equal("Webhook", run.Output["kind"].As<string>());
    }

    [Fact]
    public async Task HandleAsync_ValidDelivery_RecordsLowerCaseHeadersWithoutSecrets()
    {
        var headers = HttpApiFixture.OrderHeaders(ValidOrder);
        headers["Authorization"] = "Bearer secret";
        headers["Content-Type"] = "application/json";
        var seen = new TriggerCapture();
        var api = fixture.CreateApi(seen);

        var response = await api.HandleAsync(new Cronflow.Http.ApiRequest
        {
            Method = "post",
            Path = "/webhooks/orders/",
            Headers = headers,
            Body = System.Text.Encoding.UTF8.GetBytes(ValidOrder),
        });

        Assert.Equal(202, response.StatusCode);
        Assert.Equal(TriggerKind.Webhook, seen.Trigger!.Kind);
        Assert.Equal("/webhooks/orders", seen.Trigger.Source);
        Assert.Equal(new Dictionary<string, string> { ["content-type"] = "application/json", ["x-delivery"] = "d-1" }, seen.Trigger.Headers);
        Assert.Matches("^wh-[0-9a-f]{32}$", seen.RunId);
    }

    [Fact]
    public async Task HandleAsync_SchemaViolations_Returns400ListingEveryProblem()
    {
        const string body = """{ "quantity": "many", "customer": { }, "note": 5 }""";

        var response = await fixture.SendAsync("POST", "/webhooks/orders", body, HttpApiFixture.OrderHeaders(body), authorized: false);

        Assert.Equal(400, response.StatusCode);
        var error = HttpApiFixture.Json(response).GetProperty("error");
        Assert.Equal("schema_violation", error.GetProperty("code").GetString());
        var paths = error.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("path").GetString()).ToHashSet();
        Assert.Contains("", paths);          // orderId is missing
        Assert.Contains("/quantity", paths);
        Assert.Contains("/customer", paths); // email is missing
        Assert.Contains("/note", paths);
        var messages = string.Join("\n", error.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("message").GetString()));
        Assert.Contains("orderId", messages, StringComparison.Ordinal);
        Assert.Contains("email", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_NullRequiredProperty_Returns400()
    {
        const string body = """{ "orderId": null, "quantity": 1, "customer": { "email": "a@example.com" } }""";

        var response = await fixture.SendAsync("POST", "/webhooks/orders", body, HttpApiFixture.OrderHeaders(body), authorized: false);

        Assert.Equal(400, response.StatusCode);
        var problem = Assert.Single(HttpApiFixture.Json(response).GetProperty("error").GetProperty("problems").EnumerateArray());
        Assert.Equal("/orderId", problem.GetProperty("path").GetString());
    }

    [Fact]
    public async Task HandleAsync_EmptyBodyWithSchema_Returns400()
    {
        var response = await fixture.SendAsync("POST", "/webhooks/orders", "", HttpApiFixture.OrderHeaders(""), authorized: false);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal("schema_violation", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_BadJson_Returns400()
    {
        const string body = """{ "orderId": """;

        var response = await fixture.SendAsync("POST", "/webhooks/orders", body, HttpApiFixture.OrderHeaders(body), authorized: false);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal("bad_json", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_MissingRequiredHeader_Returns401NamingIt()
    {
        var headers = HttpApiFixture.OrderHeaders(ValidOrder);
        headers.Remove("X-Api-Key");

        var response = await fixture.SendAsync("POST", "/webhooks/orders", ValidOrder, headers, authorized: false);

        Assert.Equal(401, response.StatusCode);
        Assert.Equal(
            """{"error":{"code":"missing_header","message":"A required header is missing or wrong.","problems":[{"path":"x-api-key","message":"The header \u0027x-api-key\u0027 is required."}]}}""",
            response.BodyText);
    }

    [Fact]
    public async Task HandleAsync_WrongRequiredHeaderValue_Returns401WithoutEchoingValues()
    {
        var headers = HttpApiFixture.OrderHeaders(ValidOrder);
        headers["X-Api-Key"] = "guess";

        var response = await fixture.SendAsync("POST", "/webhooks/orders", ValidOrder, headers, authorized: false);

        Assert.Equal(401, response.StatusCode);
        Assert.DoesNotContain("guess", response.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain(HttpApiFixture.ApiKeyValue, response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_BadSignature_Returns401()
    {
        var headers = HttpApiFixture.OrderHeaders(ValidOrder);
        headers["X-Cronflow-Signature"] = "sha256=" + new string('0', 64);

        var response = await fixture.SendAsync("POST", "/webhooks/orders", ValidOrder, headers, authorized: false);

        Assert.Equal(401, response.StatusCode);
        var error = HttpApiFixture.Json(response).GetProperty("error");
        Assert.Equal("bad_signature", error.GetProperty("code").GetString());
        Assert.Equal("The signature in 'x-cronflow-signature' does not match the body.", error.GetProperty("problems")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task HandleAsync_SignatureOfOtherBody_Returns401()
    {
        var headers = HttpApiFixture.OrderHeaders(ValidOrder);

        var response = await fixture.SendAsync("POST", "/webhooks/orders", ValidOrder.Replace("A-1", "A-2", StringComparison.Ordinal), headers, authorized: false);

        Assert.Equal(401, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_UnprefixedHexSignature_IsAccepted()
    {
        var headers = HttpApiFixture.OrderHeaders(ValidOrder);
        headers["X-Cronflow-Signature"] = headers["X-Cronflow-Signature"]["sha256=".Length..].ToUpperInvariant();

        var response = await fixture.SendAsync("POST", "/webhooks/orders", ValidOrder, headers, authorized: false);

        Assert.Equal(202, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_MissingSignature_Returns401()
    {
        var headers = HttpApiFixture.OrderHeaders(ValidOrder);
        headers.Remove("X-Cronflow-Signature");

        var response = await fixture.SendAsync("POST", "/webhooks/orders", ValidOrder, headers, authorized: false);

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("The signature header 'x-cronflow-signature' is missing.", HttpApiFixture.Json(response).GetProperty("error").GetProperty("problems")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task HandleAsync_UnknownPath_Returns404()
    {
        var response = await fixture.SendAsync("POST", "/webhooks/unknown", "{}", authorized: false);

        Assert.Equal(404, response.StatusCode);
        Assert.Equal(
            """{"error":{"code":"route_not_found","message":"No route matches POST /api/webhooks/unknown.","problems":[]}}""",
            response.BodyText);
    }

    [Fact]
    public async Task HandleAsync_WrongMethod_Returns405ListingAllowedMethods()
    {
        var response = await fixture.SendAsync("GET", "/hooks/plain", authorized: false);

        Assert.Equal(405, response.StatusCode);
        Assert.Equal("POST, PUT", response.Headers["Allow"]);
    }

    [Fact]
    public async Task HandleAsync_SecondMethodOnSamePath_IsServed()
    {
        var response = await fixture.SendAsync("PUT", "/hooks/plain", """{ "v": 1 }""", authorized: false);

        Assert.Equal(202, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_OversizeBody_Returns413()
    {
        var response = await fixture.SendAsync("POST", "/hooks/plain", JsonSerializer.Serialize(new string('x', 100)), authorized: false);

        Assert.Equal(413, response.StatusCode);
        Assert.Equal("The body is over the webhook's limit of 64 bytes (WebhookOptions.MaxBodyBytes).", HttpApiFixture.Json(response).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task HandleAsync_SameIdempotencyKey_ReturnsSameRunId()
    {
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "delivery-42" };
        var first = await fixture.SendAsync("PUT", "/hooks/plain", """{ "v": 42 }""", key, authorized: false);
        var second = await fixture.SendAsync("PUT", "/hooks/plain", """{ "v": 42 }""", key, authorized: false);

        Assert.Equal(202, first.StatusCode);
        Assert.Equal(202, second.StatusCode);
        var runId = HttpApiFixture.Json(first).GetProperty("runId").GetString()!;
        Assert.Equal(runId, HttpApiFixture.Json(second).GetProperty("runId").GetString());
        Assert.Matches("^wh-[0-9a-f]{32}$", runId);
    }

    [Fact]
    public async Task HandleAsync_SameIdempotencyKeyOtherBodyOnUnsignedWebhook_Returns409()
    {
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "delivery-43" };
        await fixture.SendAsync("PUT", "/hooks/plain", """{ "v": 1 }""", key, authorized: false);

        var response = await fixture.SendAsync("PUT", "/hooks/plain", """{ "v": 2 }""", key, authorized: false);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("run_conflict", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_RejectedDelivery_CreatesNoRun()
    {
        const string body = """{ "quantity": 1 }""";
        var headers = HttpApiFixture.OrderHeaders(body, "rejected-1");

        var response = await fixture.SendAsync("POST", "/webhooks/orders", body, headers, authorized: false);

        Assert.Equal(400, response.StatusCode);
        var mac = Convert.FromHexString(headers["X-Cronflow-Signature"]["sha256=".Length..]);
        Assert.Null(await fixture.Client.GetRunAsync(Cronflow.Http.WebhookSecurity.SignedRunId("orders", "cronflow", mac)));
    }

    /// <summary>A client that records the trigger it was asked to start.</summary>
    private sealed class TriggerCapture : UnsupportedCronflowClient
    {
        public TriggerInfo? Trigger { get; private set; }

        public string? RunId { get; private set; }

        public override Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null, CancellationToken cancellationToken = default) => TriggerAsync(workflowId, payload, runId, TriggerInfo.Manual, cancellationToken);

        public override Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger, CancellationToken cancellationToken = default)
        {
            Trigger = trigger;
            RunId = runId;
            return Task.FromResult("captured");
        }
    }
}
