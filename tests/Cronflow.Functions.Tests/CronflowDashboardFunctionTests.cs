using System.Net;
using System.Text.RegularExpressions;
using Microsoft.DurableTask.Client;

namespace Cronflow.Functions.Tests;

/// <summary>The run inspector served by the Functions app at /api/dashboard, through the same shared implementation as the local host.</summary>
public sealed class CronflowDashboardFunctionTests : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Loopback = new() { ["Host"] = "localhost:7071" };

    private readonly FunctionsTestHost _host = new();

    private CronflowHttpFunctions Functions => new(_host.Runtime);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static FakeHttpRequestData Request(string method, string path, string? body = null, IReadOnlyDictionary<string, string>? headers = null) =>
        new(TestContexts.Function(), method, "http://localhost:7071/api/dashboard" + path, body, headers ?? Loopback);

    private async Task<FakeHttpResponseData> SendAsync(FakeHttpRequestData request) =>
        Assert.IsType<FakeHttpResponseData>(await Functions.DashboardAsync(request, _host.Client.Object));

    [Fact]
    public async Task DashboardAsync_RunPage_RendersTheRunEscapedWithTheContentSecurityPolicy()
    {
        _host.Instances["run-1"] = FunctionsTestHost.Instance("run-1", OrchestrationRuntimeStatus.Running, _host.InputJson("echo", new { note = "<script>alert(1)</script>" }));

        var response = await SendAsync(Request("GET", "/runs/run-1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        Assert.Contains("script-src 'self'", response.Header("Content-Security-Policy"), StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", response.Header("Content-Security-Policy"), StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", response.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", response.BodyText, StringComparison.Ordinal);
        Assert.Contains("href=\"/api/dashboard/assets/dashboard.css\"", response.BodyText, StringComparison.Ordinal);
        Assert.Contains("data-src=\"/api/dashboard/runs/run-1?fragment=live\"", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DashboardAsync_NoKeyForeignHost_Answers403()
    {
        var response = await SendAsync(Request("GET", "/workflows", headers: new Dictionary<string, string> { ["Host"] = "cronflow.azurewebsites.net" }));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.StartsWith("forbidden_host", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DashboardAsync_KeySet_RedirectsToTheSignInPageBelowApiDashboard()
    {
        _host.Runtime.DashboardKey = "functions-dashboard-key-0123";

        var response = await SendAsync(Request("GET", "/", headers: new Dictionary<string, string> { ["Host"] = "cronflow.azurewebsites.net" }));
        var signIn = await SendAsync(Request("GET", "/signin", headers: new Dictionary<string, string> { ["Host"] = "cronflow.azurewebsites.net" }));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/api/dashboard/signin", response.Header("Location"));
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("<label for=\"key\">API key</label>", signIn.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DashboardAsync_TriggerForm_StartsARunOnlyWithTheAntiforgeryToken()
    {
        var page = await SendAsync(Request("GET", "/workflows"));
        var cookie = Regex.Match(page.Header("Set-Cookie")!, "cronflow_af=([0-9a-f]+)").Groups[1].Value;
        var token = Regex.Match(page.BodyText, "name=\"__af\" value=\"([0-9a-f]+)\"").Groups[1].Value;
        Assert.Contains("Path=/api/dashboard; HttpOnly; SameSite=Strict", page.Header("Set-Cookie"), StringComparison.Ordinal);
        var headers = new Dictionary<string, string>(Loopback) { ["Cookie"] = "cronflow_af=" + cookie, ["Content-Type"] = "application/x-www-form-urlencoded", ["Origin"] = "http://localhost:7071" };

        var forged = await SendAsync(Request("POST", "/workflows/echo/trigger", "payload=%7B%7D&runId=fn-dash-1", headers));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Empty(_host.Started);

        var response = await SendAsync(Request("POST", "/workflows/echo/trigger", $"__af={token}&payload=%7B%22n%22%3A5%7D&runId=fn-dash-1", headers));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.StartsWith("/api/dashboard/runs/fn-dash-1?notice=", response.Header("Location"), StringComparison.Ordinal);
        var (_, instanceId, input) = Assert.Single(_host.Started);
        Assert.Equal("fn-dash-1", instanceId);
        Assert.Equal(5, input.GetProperty("payload").GetProperty("n").GetInt32());
    }
}
