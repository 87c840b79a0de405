using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Cronflow.Tests.Hosting;

namespace Cronflow.Tests.Telemetry;

public sealed class TelemetryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Trace_TriggeredUnderCallerActivity_RunBlockAndStepSpansOncePerAttemptInCallersTrace()
    {
        using var spans = new SpanCollector();
        var attempts = 0;
        var child = Workflow.Define("otel-child").Step("inner", ctx => "in");
        var wf = Workflow.Define("otel-flow")
            .Step("first", ctx => 1L)
            .Parallel(new ParallelOptions { Name = "fan" }, ctx => Task.FromResult<object?>("l"), ctx => Task.FromResult<object?>("r"))
            .Step("flaky", ctx => Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("first try fails") : "ok")
            .Retry(2)
            .Sleep(TimeSpan.FromMilliseconds(10))
            .Subflow("sub", "otel-child");
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf).AddWorkflow(child));

        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        var runId = await host.Client.TriggerAsync("otel-flow", null);
        caller.Stop();
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);

        var trace = await spans.WaitForAsync(caller.TraceId, s => s.Any(a => a.DisplayName == "run otel-flow"));
        var root = Assert.Single(trace, a => a.DisplayName == "run otel-flow");
        Assert.Equal(caller.SpanId, root.ParentSpanId);
        Assert.Equal(runId, root.GetTagItem("cronflow.run.id"));
        Assert.Equal("otel-flow", root.GetTagItem("cronflow.workflow.id"));
        Assert.Equal(ActivityStatusCode.Unset, root.Status);

        var first = Assert.Single(trace, a => a.DisplayName == "step first");
        Assert.Equal(root.SpanId, first.ParentSpanId);
        Assert.Equal("first", first.GetTagItem("cronflow.step.name"));
        Assert.Equal("step", first.GetTagItem("cronflow.step.kind"));
        Assert.Equal(1, first.GetTagItem("cronflow.step.attempt"));

        var fan = Assert.Single(trace, a => a.DisplayName == "parallel fan");
        Assert.Equal(root.SpanId, fan.ParentSpanId);
        Assert.Equal("parallel", fan.GetTagItem("cronflow.step.kind"));
        var branches = trace.Where(a => a.ParentSpanId == fan.SpanId).ToList();
        Assert.Equal(2, branches.Count);
        Assert.All(branches, b => Assert.StartsWith("step ", b.DisplayName, StringComparison.Ordinal));

        var flaky = trace.Where(a => a.DisplayName == "step flaky").OrderBy(a => (int)a.GetTagItem("cronflow.step.attempt")!).ToList();
        Assert.Equal([1, 2], flaky.Select(a => (int)a.GetTagItem("cronflow.step.attempt")!));
        Assert.Equal(ActivityStatusCode.Error, flaky[0].Status);
        Assert.Contains("first try fails", flaky[0].StatusDescription, StringComparison.Ordinal);
        Assert.Equal(ActivityStatusCode.Unset, flaky[1].Status);
        Assert.All(flaky, a => Assert.Equal(root.SpanId, a.ParentSpanId));

        var sleep = Assert.Single(trace, a => a.DisplayName.StartsWith("sleep ", StringComparison.Ordinal));
        Assert.Equal(root.SpanId, sleep.ParentSpanId);

        var sub = Assert.Single(trace, a => a.DisplayName == "subflow sub");
        Assert.Equal(root.SpanId, sub.ParentSpanId);
        var childRun = Assert.Single(trace, a => a.DisplayName == "run otel-child");
        Assert.Equal(sub.SpanId, childRun.ParentSpanId);
        var inner = Assert.Single(trace, a => a.DisplayName == "step inner");
        Assert.Equal(childRun.SpanId, inner.ParentSpanId);

        // One span per run, block and step attempt however often the orchestrations replayed; ids unique; times nested.
        Assert.Equal(11, trace.Count);
        Assert.Equal(trace.Count, trace.Select(a => a.SpanId).Distinct().Count());
        Assert.All(trace.Where(a => a != root && a.ParentSpanId == root.SpanId), a => Assert.InRange(a.StartTimeUtc, root.StartTimeUtc, root.StartTimeUtc + root.Duration));
    }

    [Fact]
    public async Task Trace_ChunkedForEachAndNestedLoop_ItemStepsHangUnderTheirBlockSpan()
    {
        using var spans = new SpanCollector();
        var wf = Workflow.Define("otel-each")
            .ForEach(
                "items",
                ctx => Enumerable.Range(0, 150).ToArray(),
                (item, flow) => flow.Step("square", ctx => item * item))
            .Step("zero", ctx => 0)
            .If("always", ctx => true)
                .While("count", ctx => ctx.Last.As<int>() < 3, ctx => Task.FromResult(ctx.Last.As<int>() + 1))
            .EndIf();
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf));

        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        var runId = await host.Client.TriggerAsync("otel-each", null);
        caller.Stop();
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);

        var trace = await spans.WaitForAsync(caller.TraceId, s => s.Any(a => a.DisplayName == "run otel-each"));
        var root = Assert.Single(trace, a => a.DisplayName == "run otel-each");
        var each = Assert.Single(trace, a => a.DisplayName == "forEach items");
        Assert.Equal(root.SpanId, each.ParentSpanId);
        var squares = trace.Where(a => a.DisplayName == "step square").ToList();
        Assert.Equal(150, squares.Count);
        Assert.All(squares, a => Assert.Equal(each.SpanId, a.ParentSpanId));

        var loop = Assert.Single(trace, a => a.DisplayName == "while count");
        Assert.Equal(root.SpanId, loop.ParentSpanId);
        var iterations = trace.Where(a => a.ParentSpanId == loop.SpanId).ToList();
        Assert.Equal(3, iterations.Count);
        Assert.All(iterations, a => Assert.Equal("step count", a.DisplayName));
        Assert.Equal(trace.Count, trace.Select(a => a.SpanId).Distinct().Count());
    }

    [Fact]
    public async Task Trace_FailedRun_RunAndStepSpansHaveErrorStatusAndLogsOnce()
    {
        using var spans = new SpanCollector();
        using var logs = new CapturingLoggerFactory();
        var wf = Workflow.Define("otel-fails")
            .Step("ok", ctx => 1L)
            .Step("boom", ctx => throw new InvalidOperationException("broken on purpose"));
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.LoggerFactory = logs);

        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        var runId = await host.Client.TriggerAsync("otel-fails", null);
        caller.Stop();
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Failed, run.Status);

        var trace = await spans.WaitForAsync(caller.TraceId, s => s.Any(a => a.DisplayName == "run otel-fails"));
        var root = Assert.Single(trace, a => a.DisplayName == "run otel-fails");
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.Contains("broken on purpose", root.StatusDescription, StringComparison.Ordinal);
        var boom = Assert.Single(trace, a => a.DisplayName == "step boom");
        Assert.Equal(ActivityStatusCode.Error, boom.Status);
        Assert.Equal(3, trace.Count);

        var runLogs = logs.Entries.Where(e => e.Category == "Cronflow.Runs" && e.Message.Contains(runId, StringComparison.Ordinal)).ToList();
        Assert.Equal([4501, 4504, 4503], runLogs.Select(e => e.EventId.Id));
        Assert.Contains("boom", runLogs[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_HttpTriggerWithTraceparent_RunSpanContinuesRequestTrace()
    {
        using var spans = new SpanCollector();
        var wf = Workflow.Define("otel-http").Step("hello", ctx => "hi");
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var traceId = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/workflows/otel-http/runs") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{parentSpan.ToHexString()}-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var trace = await spans.WaitForAsync(traceId, s => s.Any(a => a.DisplayName == "run otel-http"));
        var root = Assert.Single(trace, a => a.DisplayName == "run otel-http");
        var step = Assert.Single(trace, a => a.DisplayName == "step hello");
        Assert.Equal(root.SpanId, step.ParentSpanId);

        Assert.Equal(parentSpan, root.ParentSpanId);
        Assert.Equal(traceId, root.TraceId);
    }

    [Fact]
    public async Task Trace_WebhookDeliveryWithTraceparent_RunSpanContinuesDeliveryTrace()
    {
        using var spans = new SpanCollector();
        var wf = Workflow.Define("otel-hook").OnWebhook("/webhooks/otel").Step("handle", ctx => "done");
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.ListenOn("http://127.0.0.1:0"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()) };
        var traceId = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/otel") { Content = new StringContent("{\"id\":1}", Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{parentSpan.ToHexString()}-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var trace = await spans.WaitForAsync(traceId, s => s.Any(a => a.DisplayName == "run otel-hook"));
        var root = Assert.Single(trace, a => a.DisplayName == "run otel-hook");
        Assert.Equal(parentSpan, root.ParentSpanId);
        Assert.Equal(root.SpanId, Assert.Single(trace, a => a.DisplayName == "step handle").ParentSpanId);
    }

    [Fact]
    public async Task Metrics_RunsPerStatus_CountStartedFinishedActiveAndStepDurations()
    {
        using var meters = new MeterCollector();
        var ok = Workflow.Define("otel-metrics-ok").Step("a", ctx => 1L).Step("b", ctx => 2L);
        var bad = Workflow.Define("otel-metrics-bad").Step("x", ctx => throw new InvalidOperationException("no"));
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(ok).AddWorkflow(bad));

        foreach (var workflow in new[] { "otel-metrics-ok", "otel-metrics-ok", "otel-metrics-bad" })
        {
            await host.Client.WaitForRunAsync(await host.Client.TriggerAsync(workflow, null), Wait);
        }

        Assert.Equal(2, meters.Sum("cronflow.runs.started", "otel-metrics-ok"));
        Assert.Equal(1, meters.Sum("cronflow.runs.started", "otel-metrics-bad"));
        Assert.Equal(2, meters.Sum("cronflow.runs.finished", "otel-metrics-ok", ("cronflow.run.status", "Completed")));
        Assert.Equal(0, meters.Sum("cronflow.runs.finished", "otel-metrics-ok", ("cronflow.run.status", "Failed")));
        Assert.Equal(1, meters.Sum("cronflow.runs.finished", "otel-metrics-bad", ("cronflow.run.status", "Failed")));
        Assert.Equal(0, meters.Sum("cronflow.runs.active", "otel-metrics-ok"));
        Assert.Equal(0, meters.Sum("cronflow.runs.active", "otel-metrics-bad"));
        Assert.Equal(2, meters.Count("cronflow.step.duration", "otel-metrics-ok", ("cronflow.step.name", "a"), ("cronflow.step.status", "Completed")));
        Assert.Equal(1, meters.Count("cronflow.step.duration", "otel-metrics-bad", ("cronflow.step.name", "x"), ("cronflow.step.status", "Failed")));
    }

    /// <summary>Collects finished Cronflow spans of every test; each test reads its own trace.</summary>
    internal sealed class SpanCollector : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _spans = new();
        private readonly ActivityListener _listener;
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SpanCollector()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == CronflowTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    _spans.Enqueue(activity);
                    Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public async Task<List<Activity>> WaitForAsync(ActivityTraceId traceId, Func<List<Activity>, bool> done)
        {
            // The run span is emitted when the run's outcome is decided, as the client sees it: wait for the next span
            // until the trace is complete.
            using var timeout = new CancellationTokenSource(Wait);
            while (true)
            {
                var next = _next.Task;
                var trace = _spans.Where(a => a.TraceId == traceId).ToList();
                if (done(trace))
                {
                    return trace;
                }

                await next.WaitAsync(timeout.Token);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    internal sealed class MeterCollector : IDisposable
    {
        private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();
        private readonly MeterListener _listener = new();

        public MeterCollector()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == CronflowTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => _measurements.Enqueue((i.Name, v, t.ToArray())));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => _measurements.Enqueue((i.Name, v, t.ToArray())));
            _listener.Start();
        }

        public double Sum(string instrument, string workflowId, params (string Key, string Value)[] tags) =>
            Matching(instrument, workflowId, tags).Sum(m => m.Value);

        public int Count(string instrument, string workflowId, params (string Key, string Value)[] tags) =>
            Matching(instrument, workflowId, tags).Count();

        private IEnumerable<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string instrument, string workflowId, (string Key, string Value)[] tags) =>
            _measurements.Where(m => m.Instrument == instrument
                && m.Tags.Any(t => t.Key == "cronflow.workflow.id" && Equals(t.Value, workflowId))
                && tags.All(w => m.Tags.Any(t => t.Key == w.Key && Equals(t.Value, w.Value))));

        public void Dispose() => _listener.Dispose();
    }
}
