using System.Collections.Concurrent;
using Cronflow.Azurite.Tests.Infrastructure;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// The sub-orchestrations behind nested loops and chunked for-each on Azure Storage: a nested loop's own
/// sub-orchestration continues as new, and chunks pass window places to each other with events.
/// </summary>
public sealed class LoopAndChunkTests : IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Storage.DeleteTaskHubAsync(_hub);

    [AzuriteFact]
    public async Task While_NestedInIf_ContinuesAsNewInItsOwnSubOrchestrationAndCompletes()
    {
        var wf = Workflow.Define("nested-loop")
            .Step("start", _ => new { n = 0 })
            .If("go", _ => true)
                .While("count", ctx => ctx.Last["n"].As<int>() < 120, ctx => Task.FromResult(new { n = ctx.Last["n"].As<int>() + 1 }), maxIterations: 1000)
            .EndIf()
            .Step("done", ctx => ctx.Steps["count"].Output["n"].As<int>());

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.UseAzurite(_hub));
        var runId = await host.Client.TriggerAsync("nested-loop", null);
        var run = await host.Client.WaitForRunAsync(runId, RunTimeout);

        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal(120, run.Output.As<int>());
        Assert.Equal("120 iterations", run.Steps.Single(s => s.Name == "count").Detail);
    }

    [AzuriteFact]
    public async Task StepRecords_AttemptsLanesAndItemCounts_SurviveAzureStorage()
    {
        var wf = Workflow.Define("timeline-records")
            .Step("flaky", ctx => ctx.Attempt < 2 ? throw new HttpRequestException("first attempt failed") : "ok")
            .Retry(2, Backoff.Fixed(TimeSpan.FromMilliseconds(100)))
            .Parallel(new ParallelOptions { Name = "fan-out" }, _ => Task.FromResult<object?>("a"), _ => Task.FromResult<object?>("b"))
            .ForEach("each", _ => Enumerable.Range(0, 5), (i, f) => f.Step("work", _ => i), new ForEachOptions { ChunkSize = 2 })
            .WaitForEvent("go", TimeSpan.FromMinutes(5));

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.UseAzurite(_hub));
        var runId = await host.Client.TriggerAsync("timeline-records", null);

        // While the run waits, the records come from the custom status; once it has finished, from its output.
        var waiting = await Poll.RunStatusAsync(host.Client, runId, RunStatus.Waiting, timeout: RunTimeout);
        await host.Client.RaiseEventAsync(runId, "go", null);
        var finished = await host.Client.WaitForRunAsync(runId, RunTimeout);

        Assert.True(finished.Status == RunStatus.Completed, $"{finished.Status}: {finished.Error}");
        foreach (var run in new[] { waiting, finished })
        {
            Assert.Equal(["first attempt failed", null], run.Steps.Single(s => s.Name == "flaky").Tries!.Select(t => t.Error?.Message));
            Assert.Equal(["fan-out[0]", "fan-out[1]"], run.Steps.Single(s => s.Name == "fan-out").Lanes!.Select(l => l.Name));
            var each = run.Steps.Single(s => s.Name == "each");
            Assert.Equal(["items 0-1", "items 2-3", "item 4"], each.Lanes!.Select(l => l.Name));
            Assert.Equal(new ItemCounts { Total = 5, Completed = 5 }, each.Items);
        }
    }

    [AzuriteFact]
    public async Task ForEach_ChunkedSmallWindow_SlidesAcrossChunkBoundaries()
    {
        var started = new ConcurrentDictionary<int, TaskCompletionSource>();
        TaskCompletionSource Started(int i) => started.GetOrAdd(i, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var inFlight = 0;
        var most = 0;
        var wf = Workflow.Define("chunk-window")
            .ForEach(
                "each",
                _ => Enumerable.Range(0, 25),
                (i, f) => f.Step("work", async _ =>
                {
                    var now = Interlocked.Increment(ref inFlight);
                    InterlockedMax(ref most, now);
                    try
                    {
                        Started(i).TrySetResult();
                        if (i is 9 or 19)
                        {
                            // The last item of a chunk ends only once the next chunk's first item has started.
                            await Started(i + 1).Task.WaitAsync(TimeSpan.FromSeconds(60));
                        }

                        return i;
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                }),
                new ForEachOptions { MaxConcurrency = 3, ChunkSize = 10 });

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.UseAzurite(_hub));
        var runId = await host.Client.TriggerAsync("chunk-window", null);
        var run = await host.Client.WaitForRunAsync(runId, RunTimeout);

        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal(Enumerable.Range(0, 25), run.Output.As<int[]>());
        Assert.InRange(Volatile.Read(ref most), 1, 3);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
