using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Cronflow.Tests.Testing;

public sealed class VirtualTimeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task UseVirtualTime_SleepThreeDays_CompletesAndSleepRecordSpansThreeDays()
    {
        var wf = Workflow.Define("vt-sleep")
            .Step("before", ctx => 1)
            .Sleep(TimeSpan.FromDays(3))
            .Step("after", ctx => ctx.Steps["before"].Output.As<int>() + 1);

        var run = await wf.TestAsync(null, o => o.UseVirtualTime());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(2, run.Output.As<int>());
        AssertSpan(run.Step("sleep-1"), TimeSpan.FromDays(3));
        Assert.True(run.Step("after").StartedAt >= run.Step("before").CompletedAt + TimeSpan.FromDays(3));
        Assert.True(run.CompletedAt >= run.CreatedAt + TimeSpan.FromDays(3));
    }

    [Fact]
    public async Task RaiseEvent_WaitOfTwoHours_EventDeliveredWithoutTimingOut()
    {
        var wf = Workflow.Define("vt-event")
            .WaitForEvent("payment.settled", TimeSpan.FromHours(2))
            .Step("receipt", ctx => ctx.Last["ok"].As<bool>() ? "settled" : "not settled");

        var run = await wf.TestAsync(null, o => o.UseVirtualTime().RaiseEvent("payment.settled", new { ok = true }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("settled", run.Output.As<string>());
        var wait = run.Step("wait-1");
        Assert.True(wait.Output!["ok"].As<bool>());
        Assert.True(wait.CompletedAt - wait.StartedAt < TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task UseVirtualTime_UnscriptedWaitOfTwoHours_TimesOutAndTimeoutPathRuns()
    {
        var wf = Workflow.Define("vt-event-timeout")
            .WaitForEvent("never.comes", TimeSpan.FromHours(2))
            .OnError(ctx => new { timedOut = ctx.Error!.Code == ErrorCodes.Timeout, ctx.Error.Message });

        var run = await wf.TestAsync(null, o => o.UseVirtualTime().RaiseEvent("other.event", null));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Output["timedOut"].As<bool>());
        Assert.Equal("No 'never.comes' event arrived within 02:00:00.", run.Output["message"].As<string>());
        AssertSpan(run.Step("wait-1"), TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task RaiseEvent_SameEventTwice_AnswersWaitsInOrderAndThirdTimesOut()
    {
        var wf = Workflow.Define("vt-event-twice")
            .WaitForEvent("tick", TimeSpan.FromHours(1))
            .WaitForEvent("tick", TimeSpan.FromHours(1))
            .WaitForEvent("tick", TimeSpan.FromHours(1))
            .OnError(ctx => $"{ctx.Steps["wait-1"].Output["n"].As<int>()},{ctx.Steps["wait-2"].Output["n"].As<int>()},{ctx.Error!.Code}");

        var run = await wf.TestAsync(null, o => o.UseVirtualTime().RaiseEvent("tick", new { n = 1 }).RaiseEvent("tick", new { n = 2 }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal($"1,2,{ErrorCodes.Timeout}", run.Output.As<string>());
        AssertSpan(run.Step("wait-3"), TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task Resume_ApprovalOfTwentyFourHours_AnsweredAfterOnPause()
    {
        var pauses = new PauseLog();
        var wf = Workflow.Define("vt-approval")
            .HumanInTheLoop(h =>
            {
                h.Name = "approval";
                h.Timeout = TimeSpan.FromHours(24);
                h.OnPause = async (ctx, token) =>
                {
                    await Task.Delay(50);
                    ctx.Services.GetRequiredService<PauseLog>().Add(token);
                };
            })
            .Step("result", ctx => $"{ctx.Last["approved"].As<bool>()} by {ctx.Last["approvedBy"].As<string>()} after {ctx.Services.GetRequiredService<PauseLog>().Count} pause(s)");

        var run = await wf.TestAsync(null, o => o
            .UseVirtualTime()
            .Services(s => s.AddSingleton(pauses))
            .Resume(new { approved = true, approvedBy = "ana" }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("True by ana after 1 pause(s)", run.Output.As<string>());
        var approval = run.Step("approval");
        Assert.Equal("resumed", approval.Output!["status"].As<string>());
        Assert.True(approval.CompletedAt - approval.StartedAt < TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task Resume_TwoPayloads_AnswerPausesInOrderAndLastRepeats()
    {
        var wf = Workflow.Define("vt-approvals")
            .HumanInTheLoop(h => { h.Name = "first"; h.Timeout = TimeSpan.FromHours(24); })
            .HumanInTheLoop(h => { h.Name = "second"; h.Timeout = TimeSpan.FromHours(24); })
            .HumanInTheLoop(h => { h.Name = "third"; h.Timeout = TimeSpan.FromHours(24); })
            .Step("result", ctx => string.Join(",", new[] { "first", "second", "third" }.Select(n => ctx.Steps[n].Output["approvedBy"].As<string>())));

        var run = await wf.TestAsync(null, o => o.UseVirtualTime().Resume(new { approved = true, approvedBy = "ana" }).Resume(new { approved = false, approvedBy = "bo" }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("ana,bo,bo", run.Output.As<string>());
    }

    [Fact]
    public async Task UseVirtualTime_UnansweredApprovalOfTwentyFourHours_TimesOutAndOnTimeoutRuns()
    {
        var timeouts = new PauseLog();
        var wf = Workflow.Define("vt-approval-timeout")
            .HumanInTheLoop(h =>
            {
                h.Name = "approval";
                h.Timeout = TimeSpan.FromHours(24);
                h.OnTimeout = ctx =>
                {
                    ctx.Services.GetRequiredService<PauseLog>().Add("timed-out");
                    return Task.CompletedTask;
                };
            });

        var run = await wf.TestAsync(null, o => o.UseVirtualTime().Services(s => s.AddSingleton(timeouts)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Output["timedOut"].As<bool>());
        Assert.Equal("timeout", run.Output["status"].As<string>());
        Assert.Equal(1, timeouts.Count);
        AssertSpan(run.Step("approval"), TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task UseVirtualTime_RetryBackoffOfHours_RetriesAndRecordSpansTheBackoff()
    {
        var wf = Workflow.Define("vt-retry")
            .Step("flaky", ctx => ctx.Attempt < 3 ? throw new HttpRequestException($"attempt {ctx.Attempt} failed") : $"ok on {ctx.Attempt}")
            .Retry(3, Backoff.Fixed(TimeSpan.FromHours(2)));

        var run = await wf.TestAsync(null, o => o.UseVirtualTime());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("ok on 3", run.Output.As<string>());
        Assert.Equal(3, run.Step("flaky").Attempts);
        AssertSpan(run.Step("flaky"), TimeSpan.FromHours(4));
    }

    [Fact]
    public async Task UseVirtualTime_WorkflowTimeoutBeforeSleepEnds_FailsAtTheTimeout()
    {
        var wf = Workflow.Define("vt-workflow-timeout", o => o.Timeout = TimeSpan.FromDays(1))
            .Step("before", ctx => 1)
            .Sleep(TimeSpan.FromDays(3))
            .Step("after", ctx => 2);

        var run = await wf.TestAsync(null, o => o.UseVirtualTime());

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);
        Assert.DoesNotContain(run.Steps, s => s.Name == "after");
        Assert.True(run.CompletedAt >= run.CreatedAt + TimeSpan.FromDays(1));
        Assert.True(run.CompletedAt < run.CreatedAt + TimeSpan.FromDays(3));
    }

    [Fact]
    public async Task UseVirtualTime_WorkflowTimeoutAfterTheWaits_DoesNotFireEarly()
    {
        var wf = Workflow.Define("vt-workflow-timeout-late", o => o.Timeout = TimeSpan.FromDays(4))
            .Sleep(TimeSpan.FromDays(3))
            .Step("slow", async ctx => { await Task.Delay(100); return "done"; })
            .WaitForEvent("never.comes", TimeSpan.FromHours(2))
            .OnError(ctx => "timed out waiting");

        var run = await wf.TestAsync(null, o => o.UseVirtualTime());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("timed out waiting", run.Output.As<string>());
        Assert.Equal("done", run.Step("slow").Output!.As<string>());
    }

    [Fact]
    public async Task UseVirtualTime_StepOutlivesItsTimeout_StillTimesOutInRealTime()
    {
        var wf = Workflow.Define("vt-step-timeout")
            .Step("hangs", async ctx =>
            {
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return "never";
            })
            .Timeout(TimeSpan.FromMilliseconds(200))
            .OnError(ctx => ctx.Error!.Code);

        var run = await wf.TestAsync(null, o => o.UseVirtualTime());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Output.As<string>());
    }

    [Fact]
    public async Task RaiseEventAndResume_WithoutVirtualTime_AnswerTheRunInRealTime()
    {
        var wf = Workflow.Define("rt-scripted")
            .WaitForEvent("payment.settled", TimeSpan.FromMinutes(5))
            .HumanInTheLoop(h => { h.Name = "approval"; h.Timeout = TimeSpan.FromMinutes(5); })
            .Step("result", ctx => $"{ctx.Steps["wait-1"].Output["ok"].As<bool>()}:{ctx.Last["approvedBy"].As<string>()}");

        var run = await wf.TestAsync(null, o => o.RaiseEvent("payment.settled", new { ok = true }).Resume(new { approved = true, approvedBy = "ana" }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("True:ana", run.Output.As<string>());
        Assert.True(run.CompletedAt - run.CreatedAt < TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task UseVirtualTime_ThreeDaysTwoHoursAndTwentyFourHourApproval_CompletesWithVirtualRecords()
    {
        // A first run in this process pays for loading and compiling the engine: the timed run is the second one.
        await Workflow.Define("vt-warm-up").Sleep(TimeSpan.FromDays(1)).TestAsync(null, o => o.UseVirtualTime());
        var stopwatch = Stopwatch.StartNew();
        var run = await TestingDocsExamples.OrderWithWaits().TestAsync(new { orderId = "A-1" }, o => o
            .UseVirtualTime()
            .RaiseEvent("payment.settled", new { ok = true })
            .Resume(new { approved = true, approvedBy = "ana" }));
        stopwatch.Stop();
        output.WriteLine($"3-day sleep, 2-hour event wait and 24-hour approval: finished in {stopwatch.Elapsed.TotalMilliseconds:F0} ms of wall time (starting and stopping the private host included).");

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("A-1 shipped, approved by ana", run.Output.As<string>());
        AssertSpan(run.Step("sleep-1"), TimeSpan.FromDays(3));
        Assert.True(run.Step("wait-1").Output!["ok"].As<bool>());
        Assert.Equal("resumed", run.Step("approval").Output!["status"].As<string>());
        Assert.True(run.CompletedAt >= run.CreatedAt + TimeSpan.FromDays(3));
        Assert.True(run.CompletedAt < run.CreatedAt + TimeSpan.FromDays(3) + TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task UseVirtualTime_ForEachItemsEachSleepingADay_SleepAtTheSameTime()
    {
        var wf = Workflow.Define("vt-foreach")
            .ForEach(
                "items",
                ctx => new[] { 1, 2, 3 },
                (item, flow) => flow
                    .Sleep(TimeSpan.FromDays(1))
                    .Step("wake", ctx => item * 10));

        var run = await wf.TestAsync(null, o => o.UseVirtualTime());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal([10, 20, 30], run.Output.As<int[]>());
        AssertSpan(run.Step("items"), TimeSpan.FromDays(1));
    }

    [Fact]
    public async Task UseVirtualTime_SubflowSleepsADay_ParentClockFollowsTheChild()
    {
        var child = Workflow.Define("vt-child").Sleep(TimeSpan.FromDays(1)).Step("child-done", ctx => "child");
        var wf = Workflow.Define("vt-parent")
            .Subflow("child", "vt-child")
            .Sleep(TimeSpan.FromHours(1))
            .Step("done", ctx => ctx.Steps["child"].Output.As<string>() + " then parent");

        var run = await wf.TestAsync(null, o => o.UseVirtualTime().AddWorkflow(child));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("child then parent", run.Output.As<string>());
        AssertSpan(run.Step("child"), TimeSpan.FromDays(1));
        AssertSpan(run.Step("sleep-1"), TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task UseVirtualTime_LoopContinuesAsNew_KeepsTheClockAndTheScriptedEvents()
    {
        var wf = Workflow.Define("vt-loop")
            .Sleep(TimeSpan.FromDays(1))
            .While("count", ctx => ctx.Last["n"].IsNull || ctx.Last["n"].As<int>() < 150, ctx =>
                Task.FromResult(new { n = ctx.Last["n"].IsNull ? 1 : ctx.Last["n"].As<int>() + 1 }), maxIterations: 1000)
            .WaitForEvent("finish", TimeSpan.FromHours(1))
            .WaitForEvent("never.comes", TimeSpan.FromHours(1))
            .OnError(ctx => $"{ctx.Steps["count"].Output["n"].As<int>()}/{ctx.Steps["wait-1"].Output["tag"].As<string>()}/{ctx.Error!.Code}");

        var run = await wf.TestAsync(null, o => o.UseVirtualTime().RaiseEvent("finish", new { tag = "x" }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal($"150/x/{ErrorCodes.Timeout}", run.Output.As<string>());
        AssertSpan(run.Step("sleep-1"), TimeSpan.FromDays(1));
        Assert.True(run.Step("wait-2").StartedAt >= run.Step("sleep-1").CompletedAt);
        AssertSpan(run.Step("wait-2"), TimeSpan.FromHours(1));
    }

    /// <summary>A record that spans <paramref name="expected"/> of virtual time (plus the little real time its steps took).</summary>
    private static void AssertSpan(StepRecord record, TimeSpan expected)
    {
        Assert.NotNull(record.StartedAt);
        Assert.NotNull(record.CompletedAt);
        var span = record.CompletedAt.Value - record.StartedAt.Value;
        Assert.InRange(span, expected, expected + TimeSpan.FromMinutes(1));
    }

    private sealed class PauseLog
    {
        private readonly ConcurrentQueue<string> _entries = new();

        public int Count => _entries.Count;

        public void Add(string entry) => _entries.Enqueue(entry);
    }
}
