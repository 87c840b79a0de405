using System.Text.Json;
using Cronflow.Http;
using Moq;

namespace Cronflow.Tests.Http;

public sealed class CronflowHttpApiTests(HttpApiFixture fixture) : IClassFixture<HttpApiFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    // ---- trigger ------------------------------------------------------------------------------

    [Fact]
    public async Task HandleAsync_Trigger_Returns202WithRunIdStatusUrlAndLocation()
    {
        var response = await fixture.SendAsync("POST", "/workflows/echo/runs", """{ "n": 7 }""");

        Assert.Equal(202, response.StatusCode);
        var json = HttpApiFixture.Json(response);
        var runId = json.GetProperty("runId").GetString()!;
        Assert.Equal($"/api/runs/{runId}", json.GetProperty("statusUrl").GetString());
        Assert.Equal($"/api/runs/{runId}", response.Headers["Location"]);
        var run = await fixture.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(7, run.Output["n"].As<int>());
    }

    [Fact]
    public async Task HandleAsync_TriggerWithRunIdTwiceSamePayload_ReturnsSameRun()
    {
        var first = await fixture.SendAsync("POST", "/workflows/echo/runs", """{ "n": 1 }""", query: "?runId=http-same-1");
        var second = await fixture.SendAsync("POST", "/workflows/echo/runs", """{"n":1}""", query: "runId=http-same-1");

        Assert.Equal(202, first.StatusCode);
        Assert.Equal(202, second.StatusCode);
        Assert.Equal("http-same-1", HttpApiFixture.Json(first).GetProperty("runId").GetString());
        Assert.Equal("http-same-1", HttpApiFixture.Json(second).GetProperty("runId").GetString());
    }

    [Fact]
    public async Task HandleAsync_TriggerWithRunIdOtherPayload_Returns409()
    {
        await fixture.SendAsync("POST", "/workflows/echo/runs", """{ "n": 1 }""", query: "runId=http-conflict-1");

        var response = await fixture.SendAsync("POST", "/workflows/echo/runs", """{ "n": 2 }""", query: "runId=http-conflict-1");

        Assert.Equal(409, response.StatusCode);
        var error = HttpApiFixture.Json(response).GetProperty("error");
        Assert.Equal("run_conflict", error.GetProperty("code").GetString());
        Assert.Equal("Run 'http-conflict-1' already exists with a different payload.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task HandleAsync_TriggerUnknownWorkflow_Returns404()
    {
        var response = await fixture.SendAsync("POST", "/workflows/nope/runs", "{}");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal(
            """{"error":{"code":"workflow_not_found","message":"No workflow with id \u0027nope\u0027 is registered.","problems":[]}}""",
            response.BodyText);
    }

    [Fact]
    public async Task HandleAsync_TriggerBadJson_Returns400AndCreatesNoRun()
    {
        var response = await fixture.SendAsync("POST", "/workflows/echo/runs", """{ "n": 1, }""", query: "runId=http-bad-json");

        Assert.Equal(400, response.StatusCode);
        var error = HttpApiFixture.Json(response).GetProperty("error");
        Assert.Equal("bad_json", error.GetProperty("code").GetString());
        Assert.Contains("LineNumber", error.GetProperty("problems")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(await fixture.Client.GetRunAsync("http-bad-json"));
    }

    [Fact]
    public async Task HandleAsync_TriggerOversizeBody_Returns413AndCreatesNoRun()
    {
        var body = JsonSerializer.Serialize(new { text = new string('x', 2000) });

        var response = await fixture.SendAsync("POST", "/workflows/echo/runs", body, query: "runId=http-too-large");

        Assert.Equal(413, response.StatusCode);
        var error = HttpApiFixture.Json(response).GetProperty("error");
        Assert.Equal("payload_too_large", error.GetProperty("code").GetString());
        Assert.Equal("The body is over the limit of 1024 bytes (CronflowOptions.MaxPayloadBytes).", error.GetProperty("message").GetString());
        Assert.Null(await fixture.Client.GetRunAsync("http-too-large"));
    }

    [Fact]
    public async Task HandleAsync_TriggerInvalidRunId_Returns400()
    {
        var response = await fixture.SendAsync("POST", "/workflows/echo/runs", "{}", query: "runId=a~b");

        Assert.Equal(400, response.StatusCode);
        var error = HttpApiFixture.Json(response).GetProperty("error");
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        Assert.StartsWith("The run id 'a~b' must be", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_TriggerEmptyBody_StartsRunWithNullPayload()
    {
        var response = await fixture.SendAsync("POST", "/workflows/echo/runs");

        Assert.Equal(202, response.StatusCode);
        var run = await fixture.Client.WaitForRunAsync(HttpApiFixture.Json(response).GetProperty("runId").GetString()!, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Payload.IsNull);
    }

    // ---- authorization, routing -------------------------------------------------------------

    [Theory]
    [InlineData("POST", "/workflows/echo/runs")]
    [InlineData("GET", "/runs")]
    [InlineData("GET", "/runs/x")]
    [InlineData("DELETE", "/runs/x")]
    [InlineData("POST", "/runs/x/events/e")]
    [InlineData("POST", "/runs/x/cancel")]
    [InlineData("POST", "/runs/x/replay")]
    [InlineData("POST", "/resume/t")]
    [InlineData("POST", "/events/order.created")]
    public async Task HandleAsync_ManagementRouteWithoutAuthorization_Returns401(string method, string path)
    {
        var response = await fixture.SendAsync(method, path, "{}", authorized: false);

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("unauthorized", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_HealthWithoutAuthorization_Returns200()
    {
        var response = await fixture.SendAsync("GET", "/health", authorized: false);

        Assert.Equal(200, response.StatusCode);
        var json = HttpApiFixture.Json(response);
        Assert.Equal("Healthy", json.GetProperty("status").GetString());
        Assert.Equal(5, json.GetProperty("workflows").GetInt32());
    }

    [Fact]
    public async Task HandleAsync_ManagementPathWrongMethod_Returns405WithAllow()
    {
        var response = await fixture.SendAsync("PUT", "/runs/abc");

        Assert.Equal(405, response.StatusCode);
        Assert.Equal("GET, DELETE", response.Headers["Allow"]);
        Assert.Equal("method_not_allowed", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_UnknownManagementPath_Returns404()
    {
        var response = await fixture.SendAsync("GET", "/runs/a/b/c");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal(
            """{"error":{"code":"route_not_found","message":"No route matches GET /api/runs/a/b/c.","problems":[]}}""",
            response.BodyText);
    }

    // ---- runs ---------------------------------------------------------------------------------

    [Fact]
    public async Task HandleAsync_GetRun_Returns200WithRunInfoAndSteps()
    {
        var runId = await fixture.Client.TriggerAsync("echo", new { n = 3 }, "http-get-1");
        await fixture.Client.WaitForRunAsync(runId, Wait);

        var response = await fixture.SendAsync("GET", "/runs/http-get-1");

        Assert.Equal(200, response.StatusCode);
        var json = HttpApiFixture.Json(response);
        Assert.Equal("http-get-1", json.GetProperty("id").GetString());
        Assert.Equal("echo", json.GetProperty("workflowId").GetString());
        Assert.Equal("Completed", json.GetProperty("status").GetString());
        Assert.Equal(3, json.GetProperty("output").GetProperty("n").GetInt32());
        var step = json.GetProperty("steps")[0];
        Assert.Equal("echo", step.GetProperty("name").GetString());
        Assert.Equal("Completed", step.GetProperty("status").GetString());
        Assert.Equal(1, step.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task HandleAsync_GetRunWithWait_ReturnsTheFinishedRun()
    {
        var runId = await fixture.Client.TriggerAsync("echo", new { n = 4 }, "http-wait-1");

        var response = await fixture.SendAsync("GET", "/runs/" + runId, query: "waitSeconds=30");

        Assert.Equal(200, response.StatusCode);
        var json = HttpApiFixture.Json(response);
        Assert.Equal("Completed", json.GetProperty("status").GetString());
        Assert.Equal(4, json.GetProperty("output").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task HandleAsync_GetRunWithWait_BoundPassed_ReturnsTheRunAsItIs()
    {
        var runId = await fixture.Client.TriggerAsync("blocked", null, "http-wait-2");

        var response = await fixture.SendAsync("GET", "/runs/" + runId, query: "waitSeconds=1");

        Assert.Equal(200, response.StatusCode);
        Assert.Contains(HttpApiFixture.Json(response).GetProperty("status").GetString(), new[] { "Pending", "Running" });
        await fixture.Client.CancelAsync(runId);
    }

    [Fact]
    public async Task HandleAsync_GetUnknownRunWithWait_Returns404()
    {
        var response = await fixture.SendAsync("GET", "/runs/no-such-run", query: "waitSeconds=5");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("run_not_found", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("61")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("soon")]
    public async Task HandleAsync_GetRunWithInvalidWait_Returns400NamingWaitSeconds(string wait)
    {
        var response = await fixture.SendAsync("GET", "/runs/x", query: "waitSeconds=" + wait);

        Assert.Equal(400, response.StatusCode);
        var problem = HttpApiFixture.Json(response).GetProperty("error").GetProperty("problems")[0];
        Assert.Equal("waitSeconds", problem.GetProperty("path").GetString());
        Assert.Contains("from 0 to 60", problem.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_GetUnknownRun_Returns404()
    {
        var response = await fixture.SendAsync("GET", "/runs/no-such-run");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal(
            """{"error":{"code":"run_not_found","message":"No run with id \u0027no-such-run\u0027 exists.","problems":[]}}""",
            response.BodyText);
    }

    [Fact]
    public async Task HandleAsync_ListRunsByWorkflowAndStatus_ReturnsMatchingRuns()
    {
        var runId = await fixture.Client.TriggerAsync("echo", new { n = 9 }, "http-list-1");
        await fixture.Client.WaitForRunAsync(runId, Wait);

        var response = await fixture.SendAsync("GET", "/runs", query: "workflowId=echo&status=completed&pageSize=1000");

        Assert.Equal(200, response.StatusCode);
        var runs = HttpApiFixture.Json(response).GetProperty("runs").EnumerateArray().ToList();
        Assert.Contains(runs, r => r.GetProperty("id").GetString() == "http-list-1");
        Assert.All(runs, r => Assert.Equal("echo", r.GetProperty("workflowId").GetString()));
        Assert.All(runs, r => Assert.Equal("Completed", r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task HandleAsync_ListRunsBadQuery_Returns400ListingEveryProblem()
    {
        var response = await fixture.SendAsync("GET", "/runs", query: "status=Sleeping&pageSize=0");

        Assert.Equal(400, response.StatusCode);
        var problems = HttpApiFixture.Json(response).GetProperty("error").GetProperty("problems").EnumerateArray().ToList();
        Assert.Equal(["status", "pageSize"], problems.Select(p => p.GetProperty("path").GetString()));
        Assert.Equal(
            "'Sleeping' is not a run status; use one of Pending, Running, Waiting, Completed, Failed, Cancelled.",
            problems[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task HandleAsync_CancelWithReason_CancelsRun()
    {
        var runId = await fixture.Client.TriggerAsync("blocked", null, "http-cancel-1");

        var response = await fixture.SendAsync("POST", "/runs/http-cancel-1/cancel", """{ "reason": "no longer needed" }""");

        Assert.Equal(202, response.StatusCode);
        Assert.Equal(runId, HttpApiFixture.Json(response).GetProperty("runId").GetString());
        var run = await fixture.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("no longer needed", run.Error!.Message);
    }

    [Fact]
    public async Task HandleAsync_CancelWithNonStringReason_Returns400()
    {
        var response = await fixture.SendAsync("POST", "/runs/x/cancel", """{ "reason": 5 }""");

        Assert.Equal(400, response.StatusCode);
        var problem = HttpApiFixture.Json(response).GetProperty("error").GetProperty("problems")[0];
        Assert.Equal("/reason", problem.GetProperty("path").GetString());
    }

    [Fact]
    public async Task HandleAsync_CancelUnknownRun_Returns404()
    {
        var response = await fixture.SendAsync("POST", "/runs/no-such-run/cancel");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("run_not_found", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_PurgeEndedRun_Returns204AndTheRunIsGone()
    {
        var runId = await fixture.Client.TriggerAsync("echo", new { n = 3 }, "http-purge-1");
        await fixture.Client.WaitForRunAsync(runId, Wait);

        var response = await fixture.SendAsync("DELETE", "/runs/http-purge-1");

        Assert.Equal(204, response.StatusCode);
        Assert.Equal(0, response.Body.Length);
        Assert.Null(await fixture.Client.GetRunAsync(runId));
        Assert.Equal(404, (await fixture.SendAsync("GET", "/runs/http-purge-1")).StatusCode);
    }

    [Fact]
    public async Task HandleAsync_PurgeUnknownRun_Returns404()
    {
        var response = await fixture.SendAsync("DELETE", "/runs/no-such-run");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("run_not_found", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_PurgeRunningRun_Returns409AndKeepsIt()
    {
        var runId = await fixture.Client.TriggerAsync("blocked", null, "http-purge-running-1");

        var response = await fixture.SendAsync("DELETE", "/runs/http-purge-running-1");

        Assert.Equal(409, response.StatusCode);
        var error = HttpApiFixture.Json(response).GetProperty("error");
        Assert.Equal("run_not_ended", error.GetProperty("code").GetString());
        Assert.StartsWith("Run 'http-purge-running-1' cannot be purged: it is ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotNull(await fixture.Client.GetRunAsync(runId));
        await fixture.Client.CancelAsync(runId);
    }

    [Fact]
    public async Task HandleAsync_Replay_Returns202WithNewRunOfSamePayload()
    {
        var original = await fixture.Client.TriggerAsync("echo", new { n = 5 }, "http-replay-1");
        await fixture.Client.WaitForRunAsync(original, Wait);

        var response = await fixture.SendAsync("POST", "/runs/http-replay-1/replay");

        Assert.Equal(202, response.StatusCode);
        var json = HttpApiFixture.Json(response);
        Assert.Equal("http-replay-1", json.GetProperty("replayOf").GetString());
        var replay = await fixture.Client.WaitForRunAsync(json.GetProperty("runId").GetString()!, Wait);
        Assert.NotEqual(original, replay.Id);
        Assert.Equal(5, replay.Output["n"].As<int>());
        Assert.Equal("http-replay-1", replay.ReplayOf);
    }

    [Fact]
    public async Task HandleAsync_ReplayUnknownRun_Returns404()
    {
        var response = await fixture.SendAsync("POST", "/runs/no-such-run/replay");

        Assert.Equal(404, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_RaiseEventOnRun_Returns202()
    {
        var runId = await fixture.Client.TriggerAsync("blocked", null, "http-event-1");

        var response = await fixture.SendAsync("POST", "/runs/http-event-1/events/payment.settled", """{ "amount": 10 }""");

        Assert.Equal(202, response.StatusCode);
        var json = HttpApiFixture.Json(response);
        Assert.Equal(runId, json.GetProperty("runId").GetString());
        Assert.Equal("payment.settled", json.GetProperty("eventName").GetString());
        await fixture.Client.CancelAsync(runId);
    }

    [Fact]
    public async Task HandleAsync_RaiseEventOnUnknownRun_Returns404()
    {
        var response = await fixture.SendAsync("POST", "/runs/no-such-run/events/e", "{}");

        Assert.Equal(404, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_RaiseEventOversize_Returns413()
    {
        var response = await fixture.SendAsync("POST", "/runs/x/events/e", JsonSerializer.Serialize(new string('x', 600)));

        Assert.Equal(413, response.StatusCode);
        Assert.Contains("CronflowOptions.MaxEventBytes", HttpApiFixture.Json(response).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_Publish_StartsSubscribedWorkflows()
    {
        var response = await fixture.SendAsync("POST", "/events/order.created", """{ "id": "o-1" }""");

        Assert.Equal(202, response.StatusCode);
        var json = HttpApiFixture.Json(response);
        Assert.Equal("order.created", json.GetProperty("eventName").GetString());
        var runId = Assert.Single(json.GetProperty("runIds").EnumerateArray()).GetString()!;
        var run = await fixture.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal("o-1", run.Output.As<string>());
    }

    [Fact]
    public async Task HandleAsync_ResumeUnknownToken_Returns404()
    {
        var response = await fixture.SendAsync("POST", "/resume/not-a-token", "{}");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("resume_token_not_found", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task HandleAsync_ClientThrowsUnexpectedly_Returns500WithoutDetails()
    {
        var client = new Mock<ICronflowClient>();
        client.Setup(c => c.GetRunAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("connection string AccountKey=abc"));
        var api = fixture.CreateApi(client.Object);

        var response = await api.HandleAsync(new ApiRequest { Method = "GET", Path = "/runs/x", IsManagementAuthorized = true });

        Assert.Equal(500, response.StatusCode);
        Assert.Equal(
            """{"error":{"code":"internal_error","message":"The request failed on the server; the host\u0027s log has the details.","problems":[]}}""",
            response.BodyText);
    }
}
