using System.Net;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Moq;

namespace Cronflow.Functions.Tests;

/// <summary>The hostile inputs of the HTTP API, through the Functions app's adapters: the same answers as the local host.</summary>
public sealed class HostileInputFunctionsTests : IAsyncDisposable
{
    private readonly FunctionsTestHost _host = new();

    private CronflowHttpFunctions Functions => new(_host.Runtime);

    private CronflowWebhookFunction Webhook => new(_host.Runtime);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static FakeHttpRequestData Request(string method, string path, string? body = null, IReadOnlyDictionary<string, string>? headers = null) =>
        new(TestContexts.Function(), method, "https://app.example/api" + path, body, headers);

    private static FakeHttpResponseData Fake(Microsoft.Azure.Functions.Worker.Http.HttpResponseData response) => Assert.IsType<FakeHttpResponseData>(response);

    private static string? Code(FakeHttpResponseData response) => response.Json.GetProperty("error").GetProperty("code").GetString();

    private int Calls(string method) => _host.Client.Invocations.Count(i => i.Method.Name == method);

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task TriggerRunAsync_BodyNotJson_Returns415AndStartsNothing(string contentType)
    {
        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs", """{"n":1}""", new Dictionary<string, string> { ["Content-Type"] = contentType }), _host.Client.Object));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", Code(response));
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task WebhookRunAsync_BodyNotJson_Returns415AndStartsNothing()
    {
        var response = Fake(await Webhook.RunAsync(Request("POST", "/github/push", """{"n":1}""", new Dictionary<string, string> { ["Content-Type"] = "text/plain" }), _host.Client.Object));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", Code(response));
        Assert.Empty(_host.Started);
    }

    [Theory]
    [InlineData("/workflows/echo/runs", 33)]
    [InlineData("/workflows/echo/runs", 64)]
    [InlineData("/events/invoice.paid", 50)]
    public async Task TriggerOrPublish_JsonDeeperThan32_Returns400TooDeepAndStartsNothing(string path, int depth)
    {
        var request = Request("POST", path, new string('[', depth) + new string(']', depth));
        var response = Fake(path.StartsWith("/events", StringComparison.Ordinal)
            ? await Functions.PublishEventAsync(request, _host.Client.Object)
            : await Functions.TriggerRunAsync(request, _host.Client.Object));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("too_deep", Code(response));
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task TriggerRunAsync_Json32Deep_StartsTheRun()
    {
        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs", new string('[', 32) + new string(']', 32)), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Single(_host.Started);
    }

    [Theory]
    [InlineData("zzz")]
    [InlineData("bmV4dC1wYWdl")]
    public async Task ListRunsAsync_ForgedContinuationToken_Returns400WithoutQueryingTheBackend(string token)
    {
        var response = Fake(await Functions.ListRunsAsync(Request("GET", "/runs?continuationToken=" + token), _host.Client.Object));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", Code(response));
        Assert.Equal("continuationToken", response.Json.GetProperty("error").GetProperty("problems")[0].GetProperty("path").GetString());
        Assert.Equal(0, Calls(nameof(DurableTaskClient.GetAllInstancesAsync)));
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("POST", "/cancel")]
    [InlineData("POST", "/events/gate")]
    [InlineData("POST", "/replay")]
    public async Task RunRoutes_ConcurrencyGateInstance_Return404AndTouchNothing(string method, string suffix)
    {
        const string gate = "cronflow-gate~echo";
        _host.Instances[gate] = FunctionsTestHost.Instance(gate, OrchestrationRuntimeStatus.Running, "{}");
        var request = Request(method, "/runs/" + gate + suffix, method == "POST" ? """{"op":"release"}""" : null);

        var response = Fake(suffix switch
        {
            "" => await Functions.GetRunAsync(request, _host.Client.Object),
            "/cancel" => await Functions.CancelRunAsync(request, _host.Client.Object),
            "/replay" => await Functions.ReplayRunAsync(request, _host.Client.Object),
            _ => await Functions.RaiseEventAsync(request, _host.Client.Object),
        });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("run_not_found", Code(response));
        Assert.Empty(_host.Started);
        Assert.Equal(0, Calls(nameof(DurableTaskClient.RaiseEventAsync)));
        Assert.Equal(0, Calls(nameof(DurableTaskClient.TerminateInstanceAsync)));
    }

    [Fact]
    public async Task TriggerRunAsync_DeclaredLengthOverLimit_Returns413WithoutReadingTheBody()
    {
        var request = Request("POST", "/workflows/echo/runs", """{"n":1}""", new Dictionary<string, string> { ["Content-Length"] = "5000000" });

        var response = Fake(await Functions.TriggerRunAsync(request, _host.Client.Object));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", Code(response));
        Assert.Equal(0, request.Body.Position);
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task TriggerRunAsync_ControlCharactersInWorkflowId_AreNotEchoed()
    {
        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/x%0Aforged/runs", "{}"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("No workflow with id 'x\\u000Aforged' is registered.", response.Json.GetProperty("error").GetProperty("message").GetString());
    }
}
