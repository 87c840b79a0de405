using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

public sealed class ParallelAndRaceTests
{
    [Fact]
    public async Task Parallel_LaterBranchesFinishFirst_ResultsInInputOrder()
    {
        var signals = new Signals();
        var wf = Workflow.Define("parallel-order")
            .Parallel(
                async ctx => { await Signals(ctx).Wait("b2-done"); return (object?)"first"; },
                async ctx => { await Signals(ctx).Wait("b2-done"); return (object?)"second"; },
                async ctx => { await Task.Yield(); Signals(ctx).Set("b2-done"); return (object?)"third"; });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["first", "second", "third"], run.Output.As<string[]>());
        Assert.Equal("parallel-1", run.Steps.Single().Name);
    }

    [Fact]
    public async Task Parallel_BranchFails_BlockFailsNamingBranch()
    {
        var wf = Workflow.Define("parallel-fail")
            .Parallel(
                ctx => Task.FromResult<object?>(1),
                ctx => throw new InvalidOperationException("inventory service down"),
                ctx => Task.FromResult<object?>(3))
            .Step("after", ctx => "never");

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("parallel-1[1]", run.Error!.Step);
        Assert.Equal("System.InvalidOperationException", run.Error.ErrorType);
        Assert.Contains("Branch 1 of parallel block 'parallel-1' failed: inventory service down", run.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Steps, s => s.Name == "after");
        Assert.Equal(StepStatus.Failed, run.Step("parallel-1").Status);
    }

    [Fact]
    public async Task OnError_AfterParallel_ReceivesEachBranchOutcome()
    {
        var signals = new Signals();

        // Two slots: branch 0 completes, which starts branch 2; branch 2 releases branch 1, which then fails
        // while branch 2 is still running.
        var wf = Workflow.Define("parallel-onerror")
            .Parallel(
                new ParallelOptions { MaxConcurrency = 2 },
                ctx => Task.FromResult<object?>("ok"),
                async ctx => { await Signals(ctx).Wait("b2-started"); throw new TimeoutException("slow api"); },
                async ctx => { Signals(ctx).Set("b2-started"); await Signals(ctx).Wait("released", ctx.CancellationToken); return null; })
            .OnError(ctx =>
            {
                Signals(ctx).Set("released");
                return new
                {
                    failed = ctx.Error!.Step,
                    statuses = ctx.Error.Branches!.Select(b => b.Status.ToString()).ToArray(),
                    first = ctx.Error.Branches![0].Output!.As<string>(),
                    message = ctx.Error.Branches![1].Error!.Message,
                };
            })
            .Step("continue", ctx => ctx.Last["failed"].As<string>() + " handled");

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Completed, run.Status);
        var handled = run.Step("parallel-1").Output!;
        Assert.Equal("parallel-1[1]", handled["failed"].As<string>());
        Assert.Equal(["Completed", "Failed", "Running"], handled["statuses"].As<string[]>());
        Assert.Equal("ok", handled["first"].As<string>());
        Assert.Equal("slow api", handled["message"].As<string>());
        Assert.Equal("parallel-1[1] handled", run.Output.As<string>());
        Assert.Equal(StepStatus.Completed, run.Step("parallel-1").Status);
        Assert.NotNull(run.Step("parallel-1").Error);
    }

    [Fact]
    public async Task Parallel_MaxConcurrencyTwo_NeverMoreThanTwoAndRefillsAsEachFinishes()
    {
        var probe = new ConcurrencyProbe();
        var signals = new Signals();
        var finished = new AttemptCounter();

        // Branch 0 only finishes after branches 1-5 have all finished. With waves of two, branch 2 could not start
        // before branch 0 ended, so the run would deadlock; a sliding window refills the free slot each time.
        Func<StepContext, Task<object?>> Branch(int index) => async ctx =>
        {
            var probeService = ctx.Services.GetRequiredService<ConcurrencyProbe>();
            return await probeService.Track<object?>(async () =>
            {
                var sig = Signals(ctx);
                if (index == 0)
                {
                    sig.Set("zero-started");
                    await sig.Wait("others-done");
                }
                else
                {
                    // Branch 0 holds its place until the others are done: each of them runs beside it, whenever the
                    // engine happens to start branch 0's body.
                    await sig.Wait("zero-started");
                    if (ctx.Services.GetRequiredService<AttemptCounter>().Next("done") == 5)
                    {
                        sig.Set("others-done");
                    }
                }

                return index;
            });
        };

        var wf = Workflow.Define("parallel-window")
            .Parallel(new ParallelOptions { MaxConcurrency = 2 }, Enumerable.Range(0, 6).Select(Branch).ToArray());

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(probe).AddSingleton(signals).AddSingleton(finished)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal([0, 1, 2, 3, 4, 5], run.Output.As<int[]>());
        Assert.Equal(2, probe.Max);
        Assert.Equal(6, probe.Calls);
    }

    [Fact]
    public async Task Parallel_BlockTimeout_FailsBlockAndRunContinuesThroughOnError()
    {
        var signals = new Signals();
        var wf = Workflow.Define("parallel-timeout")
            .Parallel(
                new ParallelOptions { Timeout = TimeSpan.FromMilliseconds(300) },
                ctx => Task.FromResult<object?>("fast"),
                async ctx => { await Signals(ctx).Wait("released"); return "slow"; })
            .OnError(ctx => new { code = ctx.Error!.Code, type = ctx.Error.ErrorType, partial = true })
            .Step("after", ctx => { Signals(ctx).Set("released"); return ctx.Last["partial"].As<bool>(); });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Output.As<bool>());
        var block = run.Step("parallel-1");
        Assert.Equal(ErrorCodes.Timeout, block.Output!["code"].As<string>());
        Assert.Equal("Cronflow.StepTimeoutException", block.Output["type"].As<string>());
        Assert.Contains("timed out", block.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parallel_TwoBlocks_StayIndependent()
    {
        var wf = Workflow.Define("two-blocks")
            .Parallel(ctx => Task.FromResult<object?>("a1"), ctx => Task.FromResult<object?>("a2"))
            .Parallel(ctx => Task.FromResult<object?>(ctx.Last[1].As<string>() + "+b1"), ctx => Task.FromResult<object?>("b2"))
            .Step("sum", ctx => new { first = ctx.Steps["parallel-1"].Output.As<string[]>(), second = ctx.Steps["parallel-2"].Output.As<string[]>() });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["a1", "a2"], run.Output["first"].As<string[]>());
        Assert.Equal(["a2+b1", "b2"], run.Output["second"].As<string[]>());
        Assert.Equal(["parallel-1", "parallel-2", "sum"], run.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task Race_FastestFailsSlowerSucceeds_SuccessWins()
    {
        var signals = new Signals();
        var wf = Workflow.Define("race-fallback")
            .Race(
                ctx => throw new HttpRequestException("primary down"),
                async ctx => { await Signals(ctx).Wait("never", ctx.CancellationToken); return "never"; },
                async ctx => { await Task.Yield(); return (object?)new { gateway = "backup" }; })
            .Step("use", ctx => ctx.Last["gateway"].As<string>());

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("backup", run.Output.As<string>());
        Assert.Equal(StepStatus.Completed, run.Step("race-1").Status);
    }

    [Fact]
    public async Task Race_LoserStillRunning_RunReportedFinishedWithoutWaitingForIt()
    {
        var signals = new Signals();
        var wf = Workflow.Define("race-open-loser")
            .Race(
                async ctx => { await Task.Yield(); return (object?)"fast"; },
                async ctx => { await Signals(ctx).Wait("release-loser"); return "slow"; })
            .Step("use", ctx => ctx.Last.As<string>());
        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(signals);
            c.AddWorkflow(wf);
        });

        // The loser waits up to 20 s for a signal that is only set below: the run must be reported before that.
        var runId = await host.Client.TriggerAsync("race-open-loser", null);
        var run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(10));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("fast", run.Output.As<string>());
        Assert.False(signals.IsSet("release-loser"));
        signals.Set("release-loser");
    }

    [Fact]
    public async Task Race_AllBranchesFail_FailsWithEveryError()
    {
        var wf = Workflow.Define("race-all-fail")
            .Race(
                new RaceOptions { Name = "gateways" },
                ctx => throw new HttpRequestException("primary down"),
                ctx => throw new InvalidOperationException("backup refused"));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("gateways", run.Error!.Step);
        Assert.Equal("Cronflow.RaceFailedException", run.Error.ErrorType);
        Assert.Contains("All 2 branches of race 'gateways' failed", run.Error.Message, StringComparison.Ordinal);
        Assert.Contains("primary down", run.Error.Message, StringComparison.Ordinal);
        Assert.Contains("backup refused", run.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, run.Error.Branches!.Count);
        Assert.All(run.Error.Branches, b => Assert.Equal(StepStatus.Failed, b.Status));
    }

    [Fact]
    public async Task Race_WithTimeout_TimesOutWhenNoBranchSucceeds()
    {
        var signals = new Signals();
        var wf = Workflow.Define("race-timeout")
            .Race(
                new RaceOptions { Timeout = TimeSpan.FromMilliseconds(200) },
                async ctx => { await Signals(ctx).Wait("released"); return "late"; })
            .OnError(ctx => { Signals(ctx).Set("released"); return ctx.Error!.Code; });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(signals)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Output.As<string>());
    }

    private static Signals Signals(StepContext ctx) => ctx.Services.GetRequiredService<Signals>();
}
