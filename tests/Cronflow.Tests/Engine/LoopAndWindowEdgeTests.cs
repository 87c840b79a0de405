using DurableTask.Core.History;

namespace Cronflow.Tests.Engine;

/// <summary>Edges of loops, for-each and retried blocks, run on the embedded engine.</summary>
public sealed class LoopAndWindowEdgeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>Events one loop iteration adds to a history (scheduled, completed, and the episode's start and end).</summary>
    private const int EventsPerIteration = 4;

    [Fact]
    public async Task ForEach_EmptyList_CompletesWithEmptyArray()
    {
        var wf = Workflow.Define("foreach-empty")
            .Step("get", _ => Array.Empty<int>())
            .ForEach("each", ctx => ctx.Last.As<int[]>(), (n, f) => f.Step("use", _ => n))
            .Step("after", ctx => ctx.Last.Items().Count());

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("[]", run.Step("each").Output!.Json.GetRawText());
        Assert.Equal(StepStatus.Completed, run.Step("each").Status);
        Assert.Equal("0 items", run.Step("each").Detail);
        Assert.Equal(0, run.Output.As<int>());
    }

    [Fact]
    public async Task While_RetriedAcrossContinueAsNew_KeepsAttemptCountAndRestartsLoop()
    {
        var failures = new AttemptCounter();
        var wf = Workflow.Define("loop-retry")
            .Step("start", _ => new { n = 0 })
            .While("count", ctx => ctx.Last["n"].As<int>() < 160, ctx =>
            {
                var n = ctx.Last["n"].As<int>() + 1;
                if ((n == 50 || n == 150) && failures.Next($"n{n}") == 1)
                {
                    throw new InvalidOperationException($"flaky at {n}");
                }

                return Task.FromResult(new { n });
            }, maxIterations: 1000)
            .Retry(2);

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf));
        var runId = await host.Client.TriggerAsync("loop-retry", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        // Attempt 1 fails at 50; attempt 2 starts the loop over (50 passes the second time), continues as new after 100
        // iterations, and its failure at 150 is the second and last attempt.
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("flaky at 150", run.Error!.Message);
        Assert.Equal(2, run.Steps.Single(s => s.Name == "count").Attempts);
        Assert.Equal(StepStatus.Failed, run.Steps.Single(s => s.Name == "count").Status);
        Assert.Equal(2, failures.Count("n50"));
        Assert.Equal(1, failures.Count("n150"));
    }

    [Fact]
    public async Task While_TimeoutAcrossContinueAsNew_KeepsOneDeadlineForWholeLoop()
    {
        EpisodeProbe? probe = null;
        var wf = Workflow.Define("loop-deadline")
            .Step("start", _ => new { n = 0 })
            .While("count", ctx => ctx.Last["n"].As<int>() < 250, ctx => Task.FromResult(new { n = ctx.Last["n"].As<int>() + 1 }), maxIterations: 1000)
            .Timeout(TimeSpan.FromMinutes(5));

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var runId = await host.Client.TriggerAsync("loop-deadline", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(250, run.Output["n"].As<int>());
        var executions = probe!.Events(runId).OfType<ExecutionStartedEvent>().Count();
        var timers = probe.Events(runId).OfType<TimerCreatedEvent>().ToList();
        Assert.Equal(3, executions);

        // Each execution arms the loop's timer again, for the same instant: the deadline set when the loop started.
        Assert.Equal(executions, timers.Count);
        Assert.Single(timers.Select(t => t.FireAt).Distinct());
    }

    [Fact]
    public async Task While_TimeoutNested_FailsLoopAsWholeAndStopsIterating()
    {
        var iterations = new AttemptCounter();
        var wf = Workflow.Define("nested-loop-timeout")
            .Step("start", _ => new { n = 0 })
            .If("go", _ => true)
                .While("count", ctx => true, async ctx =>
                {
                    var n = ctx.Last["n"].As<int>() + 1;
                    iterations.Next("body");
                    if (n == 4)
                    {
                        // The fourth iteration outlives the loop's deadline: its token fires when the loop's time is up.
                        await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                    }

                    return new { n };
                }, maxIterations: 1000)
                .Timeout(TimeSpan.FromSeconds(2))
            .EndIf();

        var run = await wf.TestAsync(null, o => o.Timeout = Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);

        // No iteration starts after the deadline: the fourth blocks until it (a slow machine may reach it sooner).
        Assert.InRange(iterations.Count("body"), 1, 4);
    }

    [Fact]
    public async Task While_NestedInIf_KeepsEveryHistoryBounded()
    {
        EpisodeProbe? probe = null;
        var wf = Workflow.Define("nested-loop")
            .Step("start", _ => new { n = 0 })
            .If("go", _ => true)
                .While("count", ctx => ctx.Last["n"].As<int>() < 250, ctx => Task.FromResult(new { n = ctx.Last["n"].As<int>() + 1 }), maxIterations: 1000)
            .EndIf()
            .Step("done", ctx => ctx.Steps["count"].Output["n"].As<int>());

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var runId = await host.Client.TriggerAsync("nested-loop", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(250, run.Output.As<int>());
        Assert.Equal("250 iterations", run.Steps.Single(s => s.Name == "count").Detail);
        var histories = probe!.LargestHistories(runId);
        Assert.All(histories, h => Assert.True(h.Value <= EventsPerIteration * Interpreter.ContinueAsNewEvery + 30, $"{h.Key}: {h.Value} events"));
        Assert.True(histories[runId] < 60, $"{runId}: {histories[runId]} events");
    }

    [Fact]
    public async Task While_NestedInForEachItems_KeepsEveryHistoryBounded()
    {
        EpisodeProbe? probe = null;
        var wf = Workflow.Define("item-loops")
            .ForEach("each", _ => new[] { 150, 220 }, (limit, f) => f
                .Step("seed", _ => new { n = 0 })
                .While("count", ctx => ctx.Last["n"].As<int>() < limit, ctx => Task.FromResult(new { n = ctx.Last["n"].As<int>() + 1 }), maxIterations: 1000)
                .Step("result", ctx => ctx.Last["n"].As<int>()));

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var runId = await host.Client.TriggerAsync("item-loops", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal([150, 220], run.Output.As<int[]>());
        var histories = probe!.LargestHistories(runId);
        Assert.All(histories, h => Assert.True(h.Value <= EventsPerIteration * Interpreter.ContinueAsNewEvery + 30, $"{h.Key}: {h.Value} events"));
        Assert.True(histories[runId] < 60, $"{runId}: {histories[runId]} events");
    }

    [Fact]
    public async Task While_NestedInForEachItemWhenAnotherItemFails_StopsIterating()
    {
        EpisodeProbe? probe = null;
        var iterations = new AttemptCounter();
        var signals = new Signals();
        var wf = Workflow.Define("abandoned-loop")
            .ForEach("each", _ => new[] { 0, 1 }, (i, f) => f
                .Step("seed", _ => new { n = 0 })
                .While("spin", ctx => true, async ctx =>
                {
                    if (i == 1)
                    {
                        // Item 1 fails once item 0's loop has run three iterations.
                        await signals.Wait("three");
                        throw new InvalidOperationException("item 1 fails");
                    }

                    var n = ctx.Last["n"].As<int>() + 1;
                    if (iterations.Next("spin") == 3)
                    {
                        signals.Set("three");
                    }

                    return new { n };
                }, maxIterations: 1000));

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var runId = await host.Client.TriggerAsync("abandoned-loop", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("Item 1 of for-each 'each' failed: item 1 fails", run.Error!.Message);

        // Item 0's loop is told that its for-each was decided, and stops instead of running to maxIterations.
        await probe!.WhenAsync(() => probe.Results(runId + "~").Count == 2);
        Assert.Contains(probe.Results(runId + "~"), r => r.Contains("Cronflow.BlockAbandonedException", StringComparison.Ordinal));
        Assert.InRange(iterations.Count("spin"), 3, 999);
    }

    [Fact]
    public async Task Parallel_RetryWhileFailedAttemptsBranchStillRuns_KeepsMaxConcurrency()
    {
        EpisodeProbe? probe = null;
        string runId = "parallel-retry-window-1";
        var bodies = new ConcurrencyProbe();
        var secondAttemptStarted = 0;
        var oldBranchDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task<object?> SecondAttempt(int branch)
        {
            Interlocked.Increment(ref secondAttemptStarted);
            probe!.Recheck();
            await oldBranchDone.Task.WaitAsync(TimeSpan.FromSeconds(20));
            return branch;
        }

        var wf = Workflow.Define("parallel-retry-window")
            .Parallel(
                new ParallelOptions { Name = "calls", MaxConcurrency = 2 },
                ctx => ctx.Attempt == 1 ? throw new InvalidOperationException("branch 0 fails first") : bodies.Track(() => SecondAttempt(0)),
                ctx => bodies.Track(async () =>
                {
                    if (ctx.Attempt > 1)
                    {
                        return await SecondAttempt(1);
                    }

                    // Attempt 1's branch 1 outlives its block: it ends only once the episode that handled branch 0's
                    // failure is committed and every body that episode scheduled has started.
                    await probe!.WhenAsync(() => probe.Handled<TaskFailedEvent>(runId));
                    await probe.WhenAsync(() => Volatile.Read(ref secondAttemptStarted) >= probe.Scheduled("\"attempt\":2"));
                    oldBranchDone.TrySetResult();
                    return (object?)1;
                }),
                ctx => bodies.Track(() => SecondAttempt(2)))
            .Retry(2);

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        await host.Client.TriggerAsync("parallel-retry-window", null, runId);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal([0, 1, 2], run.Output.As<int[]>());
        Assert.Equal(2, run.Steps.Single(s => s.Name == "calls").Attempts);
        Assert.Equal(2, bodies.Max);
    }

    [Fact]
    public async Task Step_TimeoutThenRetry_NextAttemptWaitsForTimedOutBody()
    {
        EpisodeProbe? probe = null;
        string runId = "step-retry-window-1";
        var bodies = new ConcurrencyProbe();
        var secondAttemptStarted = 0;

        var wf = Workflow.Define("step-retry-window")
            .Step("slow", ctx => bodies.Track(async () =>
            {
                if (ctx.Attempt > 1)
                {
                    Interlocked.Increment(ref secondAttemptStarted);
                    probe!.Recheck();
                    return "second";
                }

                // Ignores its cancellation token: it ends only once the episode that handled the timeout is committed
                // and every body that episode scheduled has started.
                await probe!.WhenAsync(() => probe.Handled<TimerFiredEvent>(runId));
                await probe.WhenAsync(() => Volatile.Read(ref secondAttemptStarted) >= probe.Scheduled("\"attempt\":2"));
                return "first";
            }))
            .Timeout(TimeSpan.FromMilliseconds(200))
            .Retry(2);

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        await host.Client.TriggerAsync("step-retry-window", null, runId);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal("second", run.Output.As<string>());
        Assert.Equal(2, run.Steps.Single(s => s.Name == "slow").Attempts);
        Assert.Equal(1, bodies.Max);
    }

    [Fact]
    public async Task ForEach_ChunkedWindowAboveChunkSize_RunsWholeWindowAcrossChunks()
    {
        var bodies = new ConcurrencyProbe();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = 0;
        var wf = Workflow.Define("chunk-window-wide")
            .ForEach(
                "each",
                _ => Enumerable.Range(0, 300),
                (i, f) => f.Step("work", _ => bodies.Track(async () =>
                {
                    if (i < 150)
                    {
                        // The first 150 items hold their slots until 150 run at once.
                        if (Interlocked.Increment(ref waiting) == 150)
                        {
                            reached.TrySetResult();
                        }

                        await reached.Task.WaitAsync(TimeSpan.FromSeconds(20));
                    }

                    return i;
                })),
                new ForEachOptions { MaxConcurrency = 150 });

        // The host runs more activities at once than the window, whatever the machine's processor count.
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.MaxConcurrentActivities = 400);
        var runId = await host.Client.TriggerAsync("chunk-window-wide", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(Enumerable.Range(0, 300), run.Output.As<int[]>());
        Assert.Equal(150, bodies.Max);
        Assert.Equal(300, bodies.Calls);
    }

    [Fact]
    public async Task ForEach_ChunkedSmallWindow_SlidesAcrossChunkBoundaries()
    {
        var bodies = new ConcurrencyProbe();
        var started = new Signals();
        var wf = Workflow.Define("chunk-window-small")
            .ForEach(
                "each",
                _ => Enumerable.Range(0, 250),
                (i, f) => f.Step("work", _ => bodies.Track(async () =>
                {
                    started.Set($"item-{i}");
                    if (i is 99 or 199)
                    {
                        // The last item of a chunk ends only once the next chunk's first item has started: the window
                        // must not drain at the boundary.
                        await started.Wait($"item-{i + 1}");
                    }

                    return i;
                })),
                new ForEachOptions { MaxConcurrency = 3 });

        var run = await wf.TestAsync(null, o => o.Timeout = Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(Enumerable.Range(0, 250), run.Output.As<int[]>());
        Assert.True(started.IsSet("item-100") && started.IsSet("item-200"));

        // Never more than the window. (Item 100 may even run before item 99's body starts: both were scheduled while
        // item 99's place was still taken, which is the point.)
        Assert.InRange(bodies.Max, 1, 3);
        Assert.Equal(250, bodies.Calls);
    }

    [Fact]
    public async Task ForEach_ChunkedSmallWindowItemFails_FailsNamingItemAndLaterChunksStartNothing()
    {
        var bodies = new ConcurrencyProbe();
        var highest = -1;
        var wf = Workflow.Define("chunk-window-failure")
            .ForEach(
                "each",
                _ => Enumerable.Range(0, 250),
                (i, f) => f.Step("work", _ => bodies.Track(async () =>
                {
                    InterlockedMax(ref highest, i);
                    await Task.Yield();
                    return i == 120 ? throw new InvalidOperationException($"bad {i}") : i;
                })),
                new ForEachOptions { MaxConcurrency = 3 });

        var run = await wf.TestAsync(null, o => o.Timeout = Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("work", run.Error!.Step);
        Assert.Equal("Item 120 of for-each 'each' failed: bad 120", run.Error.Message);

        // The third chunk (items 200 on) gets places only once the second has started all its items; the failure
        // stops the chain first, so it starts none.
        Assert.InRange(Volatile.Read(ref highest), 120, 199);
        Assert.InRange(bodies.Max, 1, 3);
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
