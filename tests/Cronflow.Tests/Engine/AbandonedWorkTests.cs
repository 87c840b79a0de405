using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>
/// Work a decided block no longer needs: it stops being scheduled, its step tokens fire, and it never holds up what
/// comes after (loops, subflows, chunks, the run's own outcome and timing).
/// </summary>
public sealed class AbandonedWorkTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ForEach_CancelInOneItem_StopsOtherItemsFiresTheirTokensAndReportsCancelledAtOnce()
    {
        var signals = new Signals();
        var wf = Workflow.Define("foreach-cancel")
            .ForEach(
                "items",
                ctx => new[] { 0, 1 },
                (item, flow) =>
                {
                    if (item == 0)
                    {
                        flow.Step("wait-for-1", async ctx => { await Signals(ctx).Wait("item1-started"); return 0; })
                            .Cancel("stop everything");
                    }
                    else
                    {
                        flow.Step("long", async ctx => await UntilCancelledAsync(ctx, "item1"))
                            .Step("next", ctx => { Signals(ctx).Set("item1-next"); return 1; });
                    }
                });
        await using var host = await StartAsync(signals, wf);

        var runId = await host.Client.TriggerAsync("foreach-cancel", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("stop everything", run.Error!.Message);
        await signals.Wait("item1-cancelled");
        await WaitForInstanceEndAsync(host, runId);
        Assert.False(signals.IsSet("item1-next"));
    }

    [Fact]
    public async Task Parallel_BlockTimesOut_RunningBranchTokenFires()
    {
        var signals = new Signals();
        var wf = Workflow.Define("parallel-timeout-token")
            .Parallel(
                new ParallelOptions { Timeout = TimeSpan.FromMilliseconds(300) },
                async ctx => await UntilCancelledAsync(ctx, "branch"),
                ctx => Task.FromResult<object?>("quick"));
        await using var host = await StartAsync(signals, wf);

        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("parallel-timeout-token", null), Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);
        await signals.Wait("branch-cancelled");
    }

    [Fact]
    public async Task Parallel_BranchFailsFast_OtherBranchTokenFires()
    {
        var signals = new Signals();
        var wf = Workflow.Define("parallel-failfast-token")
            .Parallel(
                async ctx => await UntilCancelledAsync(ctx, "survivor"),
                async ctx => { await Signals(ctx).Wait("survivor-started"); throw new InvalidOperationException("boom"); });
        await using var host = await StartAsync(signals, wf);

        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("parallel-failfast-token", null), Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("System.InvalidOperationException", run.Error!.ErrorType);
        await signals.Wait("survivor-cancelled");
    }

    [Fact]
    public async Task Race_Decided_LoserTokenFires()
    {
        var signals = new Signals();
        var wf = Workflow.Define("race-loser-token")
            .Race(
                async ctx => { await Signals(ctx).Wait("loser-started"); return (object?)"winner"; },
                async ctx => await UntilCancelledAsync(ctx, "loser"));
        await using var host = await StartAsync(signals, wf);

        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("race-loser-token", null), Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("winner", run.Output.As<string>());
        await signals.Wait("loser-cancelled");
    }

    [Fact]
    public async Task While_RaceLoserStillRunning_LoopContinuesPastContinueAsNew()
    {
        var signals = new Signals();
        var wf = Workflow.Define("race-then-loop")
            .Race(
                ctx => Task.FromResult<object?>(0),
                async ctx => { await Signals(ctx).Wait("release-loser"); return (object?)-1; })
            .While("count", ctx => ctx.Last.As<int>() < 150, ctx => Task.FromResult(ctx.Last.As<int>() + 1));
        await using var host = await StartAsync(signals, wf);

        var runId = await host.Client.TriggerAsync("race-then-loop", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(150, run.Output.As<int>());
        Assert.False(signals.IsSet("release-loser"));
        signals.Set("release-loser");
    }

    [Fact]
    public async Task Subflow_ChildRaceLoserStillRunning_ParentGoesOnAndReportsDecidedTime()
    {
        var signals = new Signals();
        var child = Workflow.Define("child-race")
            .Race(
                ctx => Task.FromResult<object?>("child-fast"),
                async ctx => { await Signals(ctx).Wait("release-loser"); return (object?)"child-slow"; });
        var parent = Workflow.Define("parent-of-race")
            .Subflow("sub", "child-race")
            .Step("after", ctx => ctx.Last.As<string>() + "+after");
        await using var host = await StartAsync(signals, child, parent);

        var runId = await host.Client.TriggerAsync("parent-of-race", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("child-fast+after", run.Output.As<string>());
        Assert.False(signals.IsSet("release-loser"));

        var decidedAt = run.CompletedAt;
        var released = DateTimeOffset.UtcNow;
        signals.Set("release-loser");
        await WaitForInstanceEndAsync(host, $"{runId}:sub");
        await WaitForInstanceEndAsync(host, runId);
        var final = await host.Client.GetRunAsync(runId);
        Assert.Equal(RunStatus.Completed, final!.Status);
        Assert.Equal("child-fast+after", final.Output.As<string>());
        Assert.Equal(decidedAt, final.CompletedAt);
        Assert.True(final.CompletedAt < released, $"completed at {final.CompletedAt:O}, loser released at {released:O}");
    }

    [Fact]
    public async Task Subflow_ChildStepTimedOutIgnoringItsToken_ParentHandlesTheFailureAndGoesOn()
    {
        var signals = new Signals();
        var child = Workflow.Define("stuck-child")
            .Step("stuck", async ctx => { await Signals(ctx).Wait("release-stuck"); return (object?)"late"; })
            .Timeout(TimeSpan.FromMilliseconds(200));
        var parent = Workflow.Define("parent-of-stuck")
            .Subflow("sub", "stuck-child")
            .OnError(ctx => "handled: " + ctx.Error!.Code)
            .Step("after", ctx => ctx.Last.As<string>() + "!");
        await using var host = await StartAsync(signals, child, parent);

        var runId = await host.Client.TriggerAsync("parent-of-stuck", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal($"handled: {ErrorCodes.Timeout}!", run.Output.As<string>());
        var sub = await host.Client.GetRunAsync($"{runId}:sub");
        Assert.Equal(RunStatus.Failed, sub!.Status);
        Assert.False(signals.IsSet("release-stuck"));
        signals.Set("release-stuck");
    }

    [Fact]
    public async Task ForEach_ChunkRaceLoserStillRunning_ParentGoesOn()
    {
        var signals = new Signals();
        var wf = Workflow.Define("chunk-race")
            .ForEach(
                "items",
                ctx => new[] { 1, 2, 3 },
                (item, flow) => flow.Race(
                    ctx => Task.FromResult<object?>(ctx.Last.As<int>() * 10),
                    async ctx => { await Signals(ctx).Wait("release-loser"); return (object?)-1; }),
                new ForEachOptions { ChunkSize = 2 })
            .Step("after", ctx => ctx.Last.As<int[]>().Sum());
        await using var host = await StartAsync(signals, wf);

        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("chunk-race", null), Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(60, run.Output.As<int>());
        Assert.False(signals.IsSet("release-loser"));
        signals.Set("release-loser");
    }

    [Fact]
    public async Task CancelAsync_RunWithSubflow_CancelsChildAndFiresItsStepToken()
    {
        var signals = new Signals();
        var child = Workflow.Define("child-blocked")
            .Step("block", async ctx => await UntilCancelledAsync(ctx, "child"))
            .Step("next", ctx => { Signals(ctx).Set("child-next"); return 1; });
        var parent = Workflow.Define("parent-blocked").Subflow("sub", "child-blocked");
        await using var host = await StartAsync(signals, child, parent);

        var runId = await host.Client.TriggerAsync("parent-blocked", null);
        await signals.Wait("child-started");
        await host.Client.CancelAsync(runId, "withdrawn");

        var run = await host.Client.WaitForRunAsync(runId, Wait);
        var sub = await host.Client.WaitForRunAsync($"{runId}:sub", Wait);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal(RunStatus.Cancelled, sub.Status);
        await signals.Wait("child-cancelled");
        await WaitForInstanceEndAsync(host, $"{runId}:sub");
        Assert.False(signals.IsSet("child-next"));
    }

    [Fact]
    public async Task CancelAsync_RunWithChunks_TerminatesChunkOrchestrations()
    {
        var signals = new Signals();
        var wf = Workflow.Define("chunks-blocked")
            .ForEach(
                "items",
                ctx => new[] { 1, 2, 3 },
                (item, flow) => flow.Step("block", async ctx => await UntilCancelledAsync(ctx, $"item{item}")),
                new ForEachOptions { ChunkSize = 2 });
        await using var host = await StartAsync(signals, wf);

        var runId = await host.Client.TriggerAsync("chunks-blocked", null);
        await Task.WhenAll(signals.Wait("item1-started"), signals.Wait("item3-started"));
        var chunks = (await ((DurableCronflowClient)host.Client).ActiveDescendantsAsync(runId))
            .Select(i => i.InstanceId)
            .Where(id => id.StartsWith($"{runId}~0~", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, chunks.Count);
        await host.Client.CancelAsync(runId, "withdrawn");

        Assert.Equal(RunStatus.Cancelled, (await host.Client.WaitForRunAsync(runId, Wait)).Status);
        foreach (var chunk in chunks)
        {
            Assert.Equal(InstanceState.Terminated, (await WaitForInstanceEndAsync(host, chunk)).State);
        }

        await Task.WhenAll(signals.Wait("item1-cancelled"), signals.Wait("item2-cancelled"), signals.Wait("item3-cancelled"));
    }

    [Fact]
    public async Task Timeout_StepDequeuedAfterItsTimerFired_TokenAlreadyCancelledWhenBodyStarts()
    {
        var signals = new Signals();
        var startedCancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hog = Workflow.Define("hog").Step("hold", async ctx => { Signals(ctx).Set("hog-started"); await Signals(ctx).Wait("release-hog"); return 0; });
        var timed = Workflow.Define("timed")
            .Step("quick", ctx => { startedCancelled.TrySetResult(ctx.CancellationToken.IsCancellationRequested); return 1; })
            .Timeout(TimeSpan.FromMilliseconds(200));
        await using var host = await CronflowHost.StartAsync(
            c =>
            {
                c.Services.AddSingleton(signals);
                c.AddWorkflow(hog);
                c.AddWorkflow(timed);
            },
            o => o.MaxConcurrentActivities = 1);

        await host.Client.TriggerAsync("hog", null);
        await signals.Wait("hog-started");
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("timed", null), Wait);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);

        signals.Set("release-hog");
        Assert.True(await startedCancelled.Task.WaitAsync(Wait));
    }

    private static Signals Signals(StepContext ctx) => ctx.Services.GetRequiredService<Signals>();

    /// <summary>A body that says it started, then waits until its token fires (and says so) or 20 s pass.</summary>
    private static async Task<object?> UntilCancelledAsync(StepContext ctx, string name)
    {
        var signals = Signals(ctx);
        signals.Set($"{name}-started");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(20), ctx.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            signals.Set($"{name}-cancelled");
            throw;
        }

        return "ran to the end";
    }

    private static Task<CronflowHost> StartAsync(Signals signals, params IWorkflowBuilder[] workflows) =>
        CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(signals);
            foreach (var workflow in workflows)
            {
                c.AddWorkflow(workflow);
            }
        });

    /// <summary>Waits until the backend itself reports the instance finished (not only the run's decided outcome).</summary>
    private static async Task<InstanceSnapshot> WaitForInstanceEndAsync(CronflowHost host, string instanceId)
    {
        var client = (DurableCronflowClient)host.Client;
        using var limit = new CancellationTokenSource(Wait);
        while (true)
        {
            if (await client.GetInstanceSnapshotAsync(instanceId) is { State: not (InstanceState.Running or InstanceState.Pending) } snapshot)
            {
                return snapshot;
            }

            await Task.Delay(10, limit.Token);
        }
    }
}
