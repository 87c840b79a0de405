using System.Net;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;

namespace Cronflow.Functions.Tests;

public sealed class CronflowHttpFunctionsTests : IAsyncDisposable
{
    private readonly FunctionsTestHost _host = new();

    private CronflowHttpFunctions Functions => new(_host.Runtime);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static FakeHttpRequestData Request(string method, string path, string? body = null, IReadOnlyDictionary<string, string>? headers = null) =>
        new(TestContexts.Function(), method, "https://app.example/api" + path, body, headers);

    private static FakeHttpResponseData Fake(Microsoft.Azure.Functions.Worker.Http.HttpResponseData response) => Assert.IsType<FakeHttpResponseData>(response);

    // ---- backend outage -----------------------------------------------------------------------

    [Theory]
    [InlineData(Grpc.Core.StatusCode.Unavailable)]
    [InlineData(Grpc.Core.StatusCode.DeadlineExceeded)]
    public async Task GetRunAsync_DurableChannelUnavailable_Returns503BackendUnavailableWithRetryAfter(Grpc.Core.StatusCode code)
    {
        _host.Client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new Grpc.Core.RpcException(new Grpc.Core.Status(code, "storage unreachable")));

        var response = Fake(await Functions.GetRunAsync(Request("GET", "/runs/r-1"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("backend_unavailable", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("5", response.Header("Retry-After"));
    }

    [Fact]
    public async Task GetRunAsync_DurableChannelSaysNotFound_IsNotAnOutage()
    {
        _host.Client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.InvalidArgument, "bad id")));

        var response = Fake(await Functions.GetRunAsync(Request("GET", "/runs/r-1"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    // ---- trigger ------------------------------------------------------------------------------

    [Fact]
    public async Task TriggerRunAsync_ValidBody_SchedulesOrchestratorAndReturns202()
    {
        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs", """{ "n": 1 }"""), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Header("Content-Type"));
        var (name, instanceId, input) = Assert.Single(_host.Started);
        Assert.Equal("CronflowOrchestrator", name);
        Assert.Equal("echo", input.GetProperty("wf").GetString());
        Assert.Equal(1, input.GetProperty("payload").GetProperty("n").GetInt32());
        Assert.Equal(instanceId, response.Json.GetProperty("runId").GetString());
        Assert.Equal($"/api/runs/{instanceId}", response.Json.GetProperty("statusUrl").GetString());
        Assert.Equal($"/api/runs/{instanceId}", response.Header("Location"));
    }

    [Fact]
    public async Task TriggerRunAsync_RunIdInQuery_UsesIt()
    {
        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs?runId=order-17", "{}"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("order-17", Assert.Single(_host.Started).InstanceId);
    }

    [Fact]
    public async Task TriggerRunAsync_ExistingRunIdSamePayload_Returns202WithoutStartingAgain()
    {
        _host.Instances["order-18"] = FunctionsTestHost.Instance("order-18", OrchestrationRuntimeStatus.Completed, _host.InputJson("echo", new { n = 1 }));

        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs?runId=order-18", """{"n":1}"""), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task TriggerRunAsync_ExistingRunIdOtherPayload_Returns409()
    {
        _host.Instances["order-19"] = FunctionsTestHost.Instance("order-19", OrchestrationRuntimeStatus.Running, _host.InputJson("echo", new { n = 1 }));

        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs?runId=order-19", """{"n":2}"""), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("run_conflict", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task TriggerRunAsync_StartRaceLostToSameRequest_IsIdempotent()
    {
        _host.Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Callback(() => _host.Instances["order-20"] = FunctionsTestHost.Instance("order-20", OrchestrationRuntimeStatus.Pending, _host.InputJson("echo", new { n = 1 })))
            .ThrowsAsync(new InvalidOperationException("An orchestration with instance id 'order-20' already exists."));

        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs?runId=order-20", """{"n":1}"""), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task TriggerRunAsync_BadJson_Returns400AndStartsNothing()
    {
        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs", """{ "n": """), _host.Client.Object));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_json", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task TriggerRunAsync_OversizeBody_Returns413AndStartsNothing()
    {
        var body = JsonSerializer.Serialize(new { text = new string('x', 1_000_000) });

        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/echo/runs", body), _host.Client.Object));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("The body is over the limit of 2048 bytes (CronflowOptions.MaxPayloadBytes).", response.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Empty(_host.Started);
    }

    [Fact]
    public async Task TriggerRunAsync_UnknownWorkflow_Returns404()
    {
        var response = Fake(await Functions.TriggerRunAsync(Request("POST", "/workflows/missing/runs", "{}"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("workflow_not_found", response.Json.GetProperty("error").GetProperty("code").GetString());
    }

    private static void Capped(CronflowBuilder c) => c.AddWorkflow(Workflow.Define("capped", o => o.Concurrency = 2).Step("work", ctx => ctx.Payload));

    [Fact]
    public async Task TriggerRunAsync_CappedWorkflow_StartsItsConcurrencyGateOnceThenTheRuns()
    {
        await using var host = new FunctionsTestHost(workflows: Capped);
        var functions = new CronflowHttpFunctions(host.Runtime);

        var first = Fake(await functions.TriggerRunAsync(Request("POST", "/workflows/capped/runs?runId=c-1", "{}"), host.Client.Object));
        var second = Fake(await functions.TriggerRunAsync(Request("POST", "/workflows/capped/runs?runId=c-2", "{}"), host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(["cronflow-gate~capped", "c-1", "c-2"], host.Started.Select(s => s.InstanceId));
        Assert.Equal("capped", host.Started[0].Input.GetProperty("wf").GetString());
        Assert.Equal(JsonValueKind.Object, host.Started[0].Input.GetProperty("gate").ValueKind);
    }

    [Fact]
    public async Task CancelRunAsync_CappedWorkflow_GivesTheSlotBack()
    {
        await using var host = new FunctionsTestHost(workflows: Capped);
        host.Instances["c-3"] = FunctionsTestHost.Instance("c-3", OrchestrationRuntimeStatus.Running, host.InputJson("capped", 1));
        host.Instances["cronflow-gate~capped"] = FunctionsTestHost.Instance("cronflow-gate~capped", OrchestrationRuntimeStatus.Running, null);
        host.Client.Setup(c => c.TerminateInstanceAsync("c-3", It.IsAny<TerminateInstanceOptions?>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        object? released = null;
        host.Client.Setup(c => c.RaiseEventAsync("cronflow-gate~capped", "cronflow.gate", It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Callback((string _, string _, object? message, CancellationToken _) => released = message)
            .Returns(Task.CompletedTask);
        host.Client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Returns(Pageable.Create((string? token, int? size, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>(Array.Empty<OrchestrationMetadata>(), null))));

        var response = Fake(await new CronflowHttpFunctions(host.Runtime).CancelRunAsync(Request("POST", "/runs/c-3/cancel"), host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var message = JsonSerializer.SerializeToElement(released, released!.GetType(), CronflowJson.Options);
        Assert.Equal("release", message.GetProperty("op").GetString());
        Assert.Equal("c-3", message.GetProperty("runId").GetString());
    }

    // ---- runs ---------------------------------------------------------------------------------

    [Fact]
    public async Task GetRunAsync_CompletedRun_Returns200WithStatusOutputAndSteps()
    {
        const string output = """{"status":"Completed","output":{"n":1},"steps":[{"name":"echo","kind":"step","path":"0","status":"Completed","attempts":1}]}""";
        _host.Instances["r-1"] = FunctionsTestHost.Instance("r-1", OrchestrationRuntimeStatus.Completed, _host.InputJson("echo", new { n = 1 }), output);

        var response = Fake(await Functions.GetRunAsync(Request("GET", "/runs/r-1"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = response.Json;
        Assert.Equal("r-1", json.GetProperty("id").GetString());
        Assert.Equal("echo", json.GetProperty("workflowId").GetString());
        Assert.Equal("Completed", json.GetProperty("status").GetString());
        Assert.Equal(1, json.GetProperty("output").GetProperty("n").GetInt32());
        Assert.Equal("echo", json.GetProperty("steps")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task GetRunAsync_UnknownRun_Returns404()
    {
        var response = Fake(await Functions.GetRunAsync(Request("GET", "/runs/nope"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"error":{"code":"run_not_found","message":"No run with id \u0027nope\u0027 exists.","problems":[]}}""", response.BodyText);
    }

    [Fact]
    public async Task ListRunsAsync_Instances_ListsRunsOfTheWorkflowWithoutChildren()
    {
        var instances = new[]
        {
            FunctionsTestHost.Instance("a", OrchestrationRuntimeStatus.Running, _host.InputJson("echo", 1)),
            FunctionsTestHost.Instance("a~0", OrchestrationRuntimeStatus.Running, _host.InputJson("echo", 1)),
            FunctionsTestHost.Instance("b", OrchestrationRuntimeStatus.Running, _host.InputJson("on-paid", 1)),
        };
        OrchestrationQuery? seen = null;
        var tokens = new List<string?>();
        _host.Client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Callback((OrchestrationQuery? q) => seen = q)
            .Returns(Pageable.Create((string? token, int? size, CancellationToken _) =>
            {
                tokens.Add(token);
                return Task.FromResult(new Page<OrchestrationMetadata>(instances, "next-page"));
            }));

        var response = Fake(await Functions.ListRunsAsync(Request("GET", "/runs?workflowId=echo&pageSize=1"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var runs = response.Json.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(["a"], runs);
        Assert.True(seen!.FetchInputsAndOutputs);

        // The API hands out its own form of the backend's token; passed back, the backend gets its token again.
        var token = response.Json.GetProperty("continuationToken").GetString()!;
        Assert.NotEqual("next-page", token);
        Fake(await Functions.ListRunsAsync(Request("GET", "/runs?workflowId=echo&pageSize=1&continuationToken=" + Uri.EscapeDataString(token)), _host.Client.Object));
        Assert.Equal("next-page", tokens[^1]);
    }

    [Fact]
    public async Task ListRunsAsync_BadStatus_Returns400()
    {
        var response = Fake(await Functions.ListRunsAsync(Request("GET", "/runs?status=Done"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("status", response.Json.GetProperty("error").GetProperty("problems")[0].GetProperty("path").GetString());
    }

    [Fact]
    public async Task CancelRunAsync_RunningRun_TerminatesRecursivelyWithReason()
    {
        _host.Instances["r-2"] = FunctionsTestHost.Instance("r-2", OrchestrationRuntimeStatus.Running, _host.InputJson("echo", 1));
        TerminateInstanceOptions? options = null;
        _host.Client.Setup(c => c.TerminateInstanceAsync("r-2", It.IsAny<TerminateInstanceOptions?>(), It.IsAny<CancellationToken>()))
            .Callback((string _, TerminateInstanceOptions? o, CancellationToken _) => options = o)
            .Returns(Task.CompletedTask);

        // A subflow the run started: found by its id prefix and its input, and terminated as well.
        var childInput = JsonSerializer.Serialize(new RunInput { WorkflowId = "echo", Trigger = new TriggerInfo { Kind = TriggerKind.Workflow, Source = "r-2" }, Parent = "r-2" }, CronflowJson.Options);
        var child = FunctionsTestHost.Instance("r-2:sub", OrchestrationRuntimeStatus.Running, childInput);
        var prefixes = new List<string?>();
        _host.Client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Returns((OrchestrationQuery? q) =>
            {
                prefixes.Add(q?.InstanceIdPrefix);
                var page = q?.InstanceIdPrefix == "r-2:" ? new[] { child } : Array.Empty<OrchestrationMetadata>();
                return Pageable.Create((string? token, int? size, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>(page, null)));
            });
        TerminateInstanceOptions? childOptions = null;
        _host.Client.Setup(c => c.TerminateInstanceAsync("r-2:sub", It.IsAny<TerminateInstanceOptions?>(), It.IsAny<CancellationToken>()))
            .Callback((string _, TerminateInstanceOptions? o, CancellationToken _) => childOptions = o)
            .Returns(Task.CompletedTask);

        var response = Fake(await Functions.CancelRunAsync(Request("POST", "/runs/r-2/cancel", """{ "reason": "duplicate order" }"""), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("duplicate order", options!.Output);
        Assert.True(options.Recursive);
        Assert.Equal(["r-2~", "r-2:"], prefixes);
        Assert.Equal("duplicate order", childOptions!.Output);
    }

    [Fact]
    public async Task PurgeRunAsync_EndedRunWithSubflow_PurgesSubflowThenRunAndReturns204()
    {
        _host.Instances["r-9"] = FunctionsTestHost.Instance("r-9", OrchestrationRuntimeStatus.Completed, _host.InputJson("echo", 1));
        var childInput = JsonSerializer.Serialize(new RunInput { WorkflowId = "echo", Trigger = new TriggerInfo { Kind = TriggerKind.Workflow, Source = "r-9" }, Parent = "r-9" }, CronflowJson.Options);
        var child = FunctionsTestHost.Instance("r-9:sub", OrchestrationRuntimeStatus.Completed, childInput);
        var queries = new List<OrchestrationQuery?>();
        _host.Client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Returns((OrchestrationQuery? q) =>
            {
                queries.Add(q);
                var page = q?.InstanceIdPrefix == "r-9:" ? new[] { child } : Array.Empty<OrchestrationMetadata>();
                return Pageable.Create((string? token, int? size, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>(page, null)));
            });
        var purged = new List<string>();
        _host.Client.Setup(c => c.PurgeInstanceAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, CancellationToken _) =>
            {
                purged.Add(id);
                return new PurgeResult(1);
            });

        var response = Fake(await Functions.PurgeRunAsync(Request("DELETE", "/runs/r-9"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(response.Header("Content-Type"));
        Assert.Equal(["r-9:sub", "r-9"], purged);
        Assert.Equal(["r-9~", "r-9:"], queries.Select(q => q?.InstanceIdPrefix));
        Assert.All(queries, q => Assert.Null(q!.Statuses));
    }

    [Fact]
    public async Task PurgeRunAsync_RunningRun_Returns409AndPurgesNothing()
    {
        _host.Instances["r-10"] = FunctionsTestHost.Instance("r-10", OrchestrationRuntimeStatus.Running, _host.InputJson("echo", 1));

        var response = Fake(await Functions.PurgeRunAsync(Request("DELETE", "/runs/r-10"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("run_not_ended", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("Run 'r-10' cannot be purged: it is Running; cancel it or let it end first.", response.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task PurgeRunAsync_UnknownRun_Returns404()
    {
        var response = Fake(await Functions.PurgeRunAsync(Request("DELETE", "/runs/nope"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("run_not_found", response.Json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task CancelRunAsync_UnknownRun_Returns404()
    {
        var response = Fake(await Functions.CancelRunAsync(Request("POST", "/runs/nope/cancel"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task RaiseEventAsync_ExistingRun_RaisesEventWithPayload()
    {
        _host.Instances["r-3"] = FunctionsTestHost.Instance("r-3", OrchestrationRuntimeStatus.Running, _host.InputJson("echo", 1));
        object? raised = null;
        _host.Client.Setup(c => c.RaiseEventAsync("r-3", "payment.settled", It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Callback((string _, string _, object? payload, CancellationToken _) => raised = payload)
            .Returns(Task.CompletedTask);

        var response = Fake(await Functions.RaiseEventAsync(Request("POST", "/runs/r-3/events/payment.settled", """{ "amount": 12 }"""), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(12, Assert.IsType<JsonElement>(raised).GetProperty("amount").GetInt32());
    }

    [Fact]
    public async Task RaiseEventAsync_UnknownRun_Returns404()
    {
        var response = Fake(await Functions.RaiseEventAsync(Request("POST", "/runs/nope/events/e", "{}"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ReplayRunAsync_ExistingRun_StartsNewRunWithOriginalPayload()
    {
        _host.Instances["r-4"] = FunctionsTestHost.Instance("r-4", OrchestrationRuntimeStatus.Completed, _host.InputJson("echo", new { n = 4 }));

        var response = Fake(await Functions.ReplayRunAsync(Request("POST", "/runs/r-4/replay"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (_, id, input) = Assert.Single(_host.Started);
        Assert.Equal(id, response.Json.GetProperty("runId").GetString());
        Assert.Equal("r-4", input.GetProperty("replayOf").GetString());
        Assert.Equal(4, input.GetProperty("payload").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task ResumeAsync_UnknownToken_Returns404()
    {
        var response = Fake(await Functions.ResumeAsync(Request("POST", "/resume/not-a-token", "{}"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("resume_token_not_found", response.Json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task PublishEventAsync_SubscribedWorkflow_StartsItWithEventTrigger()
    {
        var response = Fake(await Functions.PublishEventAsync(Request("POST", "/events/invoice.paid", """{ "invoice": 9 }"""), _host.Client.Object));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (_, id, input) = Assert.Single(_host.Started);
        Assert.Equal([id], response.Json.GetProperty("runIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("on-paid", input.GetProperty("wf").GetString());
        Assert.Equal("Event", input.GetProperty("trigger").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task HealthAsync_Always_Returns200WithWorkflowCount()
    {
        var response = Fake(await Functions.HealthAsync(Request("GET", "/health"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", response.Json.GetProperty("status").GetString());
        Assert.Equal(5, response.Json.GetProperty("workflows").GetInt32());
    }

    [Fact]
    public async Task GetRunAsync_StorageFails_Returns500WithoutDetails()
    {
        _host.Client.Setup(c => c.GetInstanceAsync("r-5", true, It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("AccountKey=secret"));

        var response = Fake(await Functions.GetRunAsync(Request("GET", "/runs/r-5"), _host.Client.Object));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("secret", response.BodyText, StringComparison.Ordinal);
    }
}
