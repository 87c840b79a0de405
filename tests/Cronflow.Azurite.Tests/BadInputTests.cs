using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cronflow.Azurite.Tests.Infrastructure;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// Bad input to a host on Azurite (reliability bar R4): each request gets the right 4xx with an error body naming the
/// problem, no run is created, and the host keeps serving.
/// </summary>
public sealed class BadInputTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string Secret = "webhook-secret-for-tests";

    private readonly string _hub = Storage.NewTaskHub();
    private CronflowHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(AzuriteFactAttribute.Variable) is null)
        {
            return;
        }

        _host = await CronflowHost.StartAsync(
            c => c
                .Configure(o => o.MaxPayloadBytes = 8 * 1024)
                .AddWorkflow(Workflow.Define("orders")
                    .OnWebhook("/hooks/orders", w =>
                    {
                        w.Schema<OrderRequest>();
                        w.MaxBodyBytes = 4096;
                    })
                    .Step("accept", ctx => ctx.Payload["orderId"].As<string>()))
                .AddWorkflow(Workflow.Define("signed")
                    .OnWebhook("/hooks/signed", w => w.Secret = Secret)
                    .Step("accept", ctx => ctx.Payload["id"].As<int>()))
                .AddWorkflow(Workflow.Define("guarded")
                    .OnWebhook("/hooks/guarded", w => w.RequireHeader("x-source", "erp"))
                    .Step("accept", ctx => 1)),
            o =>
            {
                o.UseAzurite(_hub);
                o.ListenOn("http://127.0.0.1:0");
            });
        _http = new HttpClient { BaseAddress = new Uri(_host.Urls.Single()) };
    }

    public void Dispose() => _http?.Dispose();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            await Storage.DeleteTaskHubAsync(_hub);
        }
    }

    [AzuriteFact]
    public async Task HttpApi_BadRequests_AnswerClientErrorsNamingProblemAndStartNothing()
    {
        // Malformed JSON, on a webhook and on the management trigger.
        var error = await ExpectAsync(Post("/api/hooks/orders", "{\"orderId\": "), HttpStatusCode.BadRequest, "bad_json");
        Assert.Equal("The body is not valid JSON.", Message(error));
        Assert.NotEmpty(Problems(error));
        await ExpectAsync(Post("/api/workflows/orders/runs", "{not json"), HttpStatusCode.BadRequest, "bad_json");

        // Schema violations: every problem listed, each naming its member.
        error = await ExpectAsync(Post("/api/hooks/orders", """{ "quantity": "ten", "customer": { "email": 5 } }"""), HttpStatusCode.BadRequest, "schema_violation");
        var problems = Problems(error);
        Assert.True(problems.Count >= 3, $"Expected a problem per bad member: {error}");
        Assert.Contains(problems, p => p.Contains("orderId", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(problems, p => p.Contains("quantity", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(problems, p => p.Contains("email", StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("The body does not match the schema of OrderRequest", Message(error), StringComparison.Ordinal);

        // Oversize bodies: the limit is named.
        error = await ExpectAsync(Post("/api/hooks/orders", JsonSerializer.Serialize(new { orderId = new string('x', 5000), quantity = 1 })), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Contains("4096", Message(error), StringComparison.Ordinal);
        error = await ExpectAsync(Post("/api/workflows/orders/runs", JsonSerializer.Serialize(new { orderId = new string('x', 9000) })), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Contains("CronflowOptions.MaxPayloadBytes", Message(error), StringComparison.Ordinal);

        // Unknown workflow and unknown webhook path.
        error = await ExpectAsync(Post("/api/workflows/no-such-workflow/runs", "{}"), HttpStatusCode.NotFound, "workflow_not_found");
        Assert.Contains("'no-such-workflow'", Message(error), StringComparison.Ordinal);
        error = await ExpectAsync(Post("/api/hooks/nowhere", "{}"), HttpStatusCode.NotFound, "route_not_found");
        Assert.Contains("/api/hooks/nowhere", Message(error), StringComparison.Ordinal);

        // Wrong method: 405 with the allowed methods.
        using (var wrong = await _http.GetAsync("/api/hooks/orders"))
        {
            error = await ReadErrorAsync(wrong, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
            Assert.Contains("POST", wrong.Content.Headers.Allow);
            Assert.Contains("use POST", Message(error), StringComparison.Ordinal);
        }

        using (var wrong = await _http.DeleteAsync("/api/runs"))
        {
            await ReadErrorAsync(wrong, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
            Assert.Contains("GET", wrong.Content.Headers.Allow);
        }

        // Signature: missing, wrong, and signed with another secret.
        const string SignedBody = """{ "id": 7 }""";
        error = await ExpectAsync(Post("/api/hooks/signed", SignedBody), HttpStatusCode.Unauthorized, "bad_signature");
        Assert.Contains("'x-cronflow-signature' is missing", Assert.Single(Problems(error)), StringComparison.Ordinal);
        error = await ExpectAsync(Post("/api/hooks/signed", SignedBody, ("x-cronflow-timestamp", Now()), ("x-cronflow-signature", "sha256=" + new string('0', 64))), HttpStatusCode.Unauthorized, "bad_signature");
        Assert.Contains("does not match the body", Assert.Single(Problems(error)), StringComparison.Ordinal);
        await ExpectAsync(Post("/api/hooks/signed", SignedBody, Signed("another-secret", SignedBody)), HttpStatusCode.Unauthorized, "bad_signature");
        await ExpectAsync(Post("/api/hooks/signed", SignedBody + " ", Signed(Secret, SignedBody)), HttpStatusCode.Unauthorized, "bad_signature");

        // Required header: missing, then wrong value.
        error = await ExpectAsync(Post("/api/hooks/guarded", "{}"), HttpStatusCode.Unauthorized, "missing_header");
        Assert.Contains("'x-source' is required", Assert.Single(Problems(error)), StringComparison.Ordinal);
        error = await ExpectAsync(Post("/api/hooks/guarded", "{}", ("x-source", "crm")), HttpStatusCode.Unauthorized, "missing_header");
        Assert.Contains("'x-source' does not have the expected value", Assert.Single(Problems(error)), StringComparison.Ordinal);

        // Unknown runs and tokens.
        error = await ExpectAsync(Post("/api/runs/no-such-run/cancel", ""), HttpStatusCode.NotFound, "run_not_found");
        Assert.Contains("'no-such-run'", Message(error), StringComparison.Ordinal);
        error = await ExpectAsync(Post("/api/runs/no-such-run/replay", ""), HttpStatusCode.NotFound, "run_not_found");
        Assert.Contains("'no-such-run'", Message(error), StringComparison.Ordinal);
        await ExpectAsync(Post("/api/runs/no-such-run/events/approved", "{}"), HttpStatusCode.NotFound, "run_not_found");
        using (var missing = await _http.GetAsync("/api/runs/no-such-run"))
        {
            await ReadErrorAsync(missing, HttpStatusCode.NotFound, "run_not_found");
        }

        error = await ExpectAsync(Post("/api/resume/not-a-token", """{ "approved": true }"""), HttpStatusCode.NotFound, "resume_token_not_found");
        Assert.Contains("resume token", Message(error), StringComparison.Ordinal);

        // A bad query lists each problem.
        using (var query = await _http.GetAsync("/api/runs?status=Bogus&pageSize=0"))
        {
            error = await ReadErrorAsync(query, HttpStatusCode.BadRequest, "bad_request");
            Assert.Equal(2, Problems(error).Count);
        }

        // Nothing started, and the host still serves.
        Assert.Empty((await _host.Client.ListRunsAsync(new RunQuery { PageSize = 1000 })).Runs);
        var listed = await _http.GetFromJsonAsync<JsonElement>("/api/runs");
        Assert.Equal(0, listed.GetProperty("runs").GetArrayLength());
        using (var health = await _http.GetAsync("/api/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        // A correctly signed delivery is accepted and runs.
        using var accepted = await Post("/api/hooks/signed", SignedBody, Signed(Secret, SignedBody));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        Assert.Equal(7, (await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(60))).Output.As<int>());
    }

    [AzuriteFact]
    public async Task StartAsync_InvalidCronAndDefinitions_ThrowsListingEveryProblem()
    {
        var hub = Storage.NewTaskHub();
        var ex = await Assert.ThrowsAsync<WorkflowDefinitionException>(() => CronflowHost.StartAsync(
            c => c
                .AddWorkflow(Workflow.Define("bad-cron").OnSchedule("61 * * * *").Step("a", ctx => 1))
                .AddWorkflow(Workflow.Define("bad-shape").Step("a", ctx => 1).Step("a", ctx => 2).Else()),
            o => o.UseAzurite(hub)));
        await Storage.DeleteTaskHubAsync(hub);

        output.WriteLine(ex.Message);
        Assert.Contains(ex.Errors, e => e.Code == ErrorCodes.InvalidSchedule && e.Message.Contains("61 * * * *", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Code == ErrorCodes.DuplicateStepName);
        Assert.Contains(ex.Errors, e => e.Code == ErrorCodes.ElseWithoutIf);
    }

    private Task<HttpResponseMessage> Post(string path, string body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return _http.SendAsync(request);
    }

    private static async Task<JsonElement> ExpectAsync(Task<HttpResponseMessage> sending, HttpStatusCode status, string code)
    {
        using var response = await sending;
        return await ReadErrorAsync(response, status, code);
    }

    private static async Task<JsonElement> ReadErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)status}, got {(int)response.StatusCode} {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(Message(error)));
        return error;
    }

    private static string Message(JsonElement error) => error.GetProperty("message").GetString()!;

    private static List<string> Problems(JsonElement error) =>
        [.. error.GetProperty("problems").EnumerateArray().Select(p => (p.TryGetProperty("path", out var path) ? path.GetString() + ": " : "") + p.GetProperty("message").GetString())];

    private static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The headers of a delivery signed now with Cronflow's scheme (HMAC-SHA256 of "{timestamp}.{body}").</summary>
    private static (string, string)[] Signed(string secret, string body)
    {
        var timestamp = Now();
        var mac = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
        return [("x-cronflow-timestamp", timestamp), ("x-cronflow-signature", "sha256=" + mac)];
    }

    public sealed record OrderRequest(string OrderId, int Quantity, Customer? Customer);

    public sealed record Customer(string Email);
}
