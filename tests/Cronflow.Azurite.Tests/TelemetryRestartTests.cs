using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cronflow.Azurite.Tests.Infrastructure;

namespace Cronflow.Azurite.Tests;

/// <summary>Spans and metrics are emitted once each when a run moves to a new host in the middle (Azure Storage).</summary>
public sealed class TelemetryRestartTests : IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Storage.DeleteTaskHubAsync(_hub);

    [AzuriteFact]
    public async Task Trace_HostRestartedWhileSleeping_OneSpanPerRunBlockAndStepInCallersTrace()
    {
        var spans = new ConcurrentQueue<Activity>();
        var measurements = new ConcurrentQueue<(string Instrument, long Value, KeyValuePair<string, object?>[] Tags)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CronflowTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CronflowTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((i, v, t, _) => measurements.Enqueue((i.Name, v, t.ToArray())));
        meters.Start();

        var attempts = 0;
        var wf = Workflow.Define("otel-nap")
            .Step("before", ctx => 1)
            .Sleep(TimeSpan.FromSeconds(3))
            .Step("after", ctx => Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("once") : 2)
            .Retry(2);

        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        string runId;
        await using (var first = await StartAsync(wf))
        {
            runId = await first.Client.TriggerAsync("otel-nap", null);
            caller.Stop();
            await Poll.RunStatusAsync(first.Client, runId, RunStatus.Waiting);
        }

        await using var second = await StartAsync(wf);
        var run = await second.Client.WaitForRunAsync(runId, RunTimeout);
        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");

        // The run span is emitted as the outcome is decided, before the client can read it.
        var trace = spans.Where(a => a.TraceId == caller.TraceId).ToList();
        Assert.Equal(["run otel-nap", "sleep sleep-1", "step after", "step after", "step before"], trace.Select(a => a.DisplayName).Order(StringComparer.Ordinal));
        var root = trace.Single(a => a.DisplayName == "run otel-nap");
        Assert.Equal(caller.SpanId, root.ParentSpanId);
        Assert.All(trace.Where(a => a != root), a => Assert.Equal(root.SpanId, a.ParentSpanId));
        Assert.Equal([1, 2], trace.Where(a => a.DisplayName == "step after").Select(a => (int)a.GetTagItem("cronflow.step.attempt")!).Order());

        long Sum(string instrument) => measurements.Where(m => m.Instrument == instrument && m.Tags.Any(t => t.Key == "cronflow.workflow.id" && Equals(t.Value, "otel-nap"))).Sum(m => m.Value);
        Assert.Equal(1, Sum("cronflow.runs.started"));
        Assert.Equal(1, Sum("cronflow.runs.finished"));
        Assert.Equal(0, Sum("cronflow.runs.active"));
    }

    private Task<CronflowHost> StartAsync(IWorkflowBuilder workflow) =>
        CronflowHost.StartAsync(c => c.AddWorkflow(workflow), o => o.UseAzurite(_hub));
}
