using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cronflow.Functions.Tests;

/// <summary>
/// The same HTTP conversation against the local host (real HTTP on Kestrel) and against the Functions handlers
/// (function classes with a mocked Durable client) gives the same status codes, error codes and JSON shapes.
/// </summary>
public sealed class HttpParityTests
{
    private const string SignupBody = """{"email":"ada@example.com","plan":"pro"}""";

    public static TheoryData<string, string, string?, string, int> Conversation => new()
    {
        { "POST", "/workflows/echo/runs", """{"n":1}""", "", 202 },
        { "POST", "/workflows/echo/runs", "{not json", "", 400 },
        { "POST", "/workflows/nope/runs", "{}", "", 404 },
        { "POST", "/workflows/echo/runs", "\"" + new string('x', 4000) + "\"", "", 413 },
        { "GET", "/runs/no-such-run", null, "", 404 },
        { "POST", "/runs/no-such-run/cancel", null, "", 404 },
        { "POST", "/runs/no-such-run/replay", null, "", 404 },
        { "POST", "/runs/no-such-run/events/paid", "{}", "", 404 },
        { "POST", "/resume/not-a-token", """{"approved":true}""", "", 404 },
        { "POST", "/events/invoice.paid", """{"invoice":7}""", "", 202 },
        { "GET", "/health", null, "", 200 },
        { "POST", "/webhooks/signup", SignupBody, "tenant,signed", 202 },
        { "POST", "/webhooks/signup", SignupBody, "signed", 401 },
        { "POST", "/webhooks/signup", SignupBody, "tenant", 401 },
        { "POST", "/webhooks/signup", """{"email":7}""", "tenant,signed", 400 },
        { "GET", "/webhooks/signup", null, "", 405 },
        { "POST", "/webhooks/nowhere", "{}", "", 404 },
        { "POST", "/github/push", new string('y', 200), "", 413 },
    };

    [Theory]
    [MemberData(nameof(Conversation))]
    public async Task Request_SameConversation_LocalHostAndFunctionsAnswerAlike(string method, string path, string? body, string headerSet, int expectedStatus)
    {
        var headers = Headers(headerSet, body);

        await using var local = await CronflowHost.StartAsync(FunctionsTestHost.DefaultWorkflows, o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(local.Urls[0]) };
        using var request = new HttpRequestMessage(new HttpMethod(method), "/api" + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var localResponse = await http.SendAsync(request);
        var localBody = await localResponse.Content.ReadAsStringAsync();

        await using var functions = new FunctionsTestHost();
        var functionsResponse = await FunctionsDispatch.SendAsync(functions, method, path, body, headers);

        Assert.Equal(expectedStatus, (int)localResponse.StatusCode);
        Assert.Equal(expectedStatus, (int)functionsResponse.StatusCode);
        Assert.Equal(Shape(localBody), Shape(functionsResponse.BodyText));
        Assert.Equal(ErrorCode(localBody), ErrorCode(functionsResponse.BodyText));
    }

    private static Dictionary<string, string> Headers(string set, string? body)
    {
        var headers = new Dictionary<string, string>();
        if (set.Contains("tenant", StringComparison.Ordinal))
        {
            headers["x-tenant"] = "acme";
        }

        if (set.Contains("signed", StringComparison.Ordinal))
        {
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            headers["x-cronflow-timestamp"] = timestamp;
            headers["x-cronflow-signature"] = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(FunctionsTestHost.Secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
        }

        return headers;
    }

    /// <summary>The JSON's structure: property names and value kinds, recursively (values themselves differ: run ids, times).</summary>
    private static string Shape(string json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return "";
        }

        using var document = JsonDocument.Parse(json);
        return Shape(document.RootElement);
    }

    private static string Shape(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject().Select(p => p.Name + ":" + Shape(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", element.EnumerateArray().Select(Shape).Distinct()) + "]",
        _ => element.ValueKind.ToString(),
    };

    private static string? ErrorCode(string json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;
    }
}

/// <summary>Sends a request to the function the Functions host would route it to.</summary>
internal static class FunctionsDispatch
{
    public static async Task<FakeHttpResponseData> SendAsync(FunctionsTestHost host, string method, string path, string? body, IReadOnlyDictionary<string, string> headers)
    {
        var context = TestContexts.Function(host.Services);
        var request = new FakeHttpRequestData(context, method, "http://localhost:7071/api" + path, body, headers);
        var functions = new CronflowHttpFunctions(host.Runtime);
        var client = host.Client.Object;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var response = (method, segments) switch
        {
            ("POST", ["workflows", _, "runs"]) => await functions.TriggerRunAsync(request, client),
            ("GET", ["runs"]) => await functions.ListRunsAsync(request, client),
            ("GET", ["runs", _]) => await functions.GetRunAsync(request, client),
            ("POST", ["runs", _, "events", _]) => await functions.RaiseEventAsync(request, client),
            ("POST", ["runs", _, "cancel"]) => await functions.CancelRunAsync(request, client),
            ("POST", ["runs", _, "replay"]) => await functions.ReplayRunAsync(request, client),
            ("POST", ["resume", _]) => await functions.ResumeAsync(request, client),
            ("POST", ["events", _]) => await functions.PublishEventAsync(request, client),
            ("GET", ["health"]) => await functions.HealthAsync(request, client),
            _ => await new CronflowWebhookFunction(host.Runtime).RunAsync(request, client),
        };
        return (FakeHttpResponseData)response;
    }
}
