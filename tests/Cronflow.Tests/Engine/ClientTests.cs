using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>One in-memory engine shared by the client tests.</summary>
public sealed class ClientHostFixture : IAsyncLifetime
{
    public Signals Signals { get; } = new();

    public CronflowHost Host { get; private set; } = null!;

    public ICronflowClient Client => Host.Client;

    public async Task InitializeAsync() => Host = await CronflowHost.StartAsync(c =>
    {
        c.Services.AddSingleton(Signals);
        c.AddWorkflow(Workflow.Define("echo").Step("echo", ctx => ctx.Payload));
        c.AddWorkflow(Workflow.Define("blocked").Step("wait", async ctx =>
        {
            await ctx.Services.GetRequiredService<Signals>().Wait(ctx.Payload["signal"].As<string>(), ctx.CancellationToken);
            return "released";
        }));
        c.AddWorkflow(Workflow.Define("on-created-a").OnEvent("order.created").Step("a", ctx => ctx.Payload["id"].As<string>() + "-a"));
        c.AddWorkflow(Workflow.Define("on-created-b").OnEvent("order.created").Step("b", ctx => ctx.Trigger.Kind.ToString()));
        c.Configure(o => o.MaxPayloadBytes = 1024);
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class ClientTests(ClientHostFixture fixture) : IClassFixture<ClientHostFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task TriggerAsync_UnknownWorkflow_ThrowsWorkflowNotFound()
    {
        var ex = await Assert.ThrowsAsync<WorkflowNotFoundException>(() => fixture.Client.TriggerAsync("no-such-workflow", null));

        Assert.Equal("no-such-workflow", ex.WorkflowId);
        Assert.Equal("No workflow with id 'no-such-workflow' is registered.", ex.Message);
    }

    [Fact]
    public async Task TriggerAsync_SameRunIdAndPayload_IsIdempotent()
    {
        var first = await fixture.Client.TriggerAsync("echo", new { n = 1 }, "idempotent-1");
        var second = await fixture.Client.TriggerAsync("echo", new { n = 1 }, "idempotent-1");

        Assert.Equal("idempotent-1", first);
        Assert.Equal(first, second);
        var run = await fixture.Client.WaitForRunAsync(first, Wait);
        Assert.Equal(1, run.Output["n"].As<int>());
    }

    [Fact]
    public async Task TriggerAsync_SameRunIdOtherPayload_ThrowsConflict()
    {
        await fixture.Client.TriggerAsync("echo", new { n = 1 }, "conflict-1");

        var ex = await Assert.ThrowsAsync<RunConflictException>(() => fixture.Client.TriggerAsync("echo", new { n = 2 }, "conflict-1"));

        Assert.Equal("Run 'conflict-1' already exists with a different payload.", ex.Message);
    }

    [Fact]
    public async Task TriggerAsync_PayloadOverLimit_ThrowsNamingLimit()
    {
        var ex = await Assert.ThrowsAsync<PayloadTooLargeException>(() => fixture.Client.TriggerAsync("echo", new string('x', 2000)));

        Assert.Equal("CronflowOptions.MaxPayloadBytes", ex.LimitName);
        Assert.Equal(1024, ex.Limit);
    }

    [Fact]
    public async Task GetRunAsync_UnknownRun_ReturnsNull()
    {
        Assert.Null(await fixture.Client.GetRunAsync("never-started"));
        await Assert.ThrowsAsync<RunNotFoundException>(() => fixture.Client.WaitForRunAsync("never-started", Wait));
    }

    [Fact]
    public async Task GetRunAsync_Running_ReportsRunningStep()
    {
        var runId = await fixture.Client.TriggerAsync("blocked", new { signal = "running-check" });

        RunInfo? run = null;
        for (var i = 0; i < 2000 && run?.Steps.Count is null or 0; i++)
        {
            run = await fixture.Client.GetRunAsync(runId);
            await Task.Yield();
        }

        Assert.Equal(RunStatus.Running, run!.Status);
        Assert.Equal(StepStatus.Running, run.Steps.Single().Status);
        fixture.Signals.Set("running-check");
        Assert.Equal("released", (await fixture.Client.WaitForRunAsync(runId, Wait)).Output.As<string>());
    }

    [Fact]
    public async Task WaitForRunAsync_TokenCancelled_ThrowsWhileRunGoesOn()
    {
        var runId = await fixture.Client.TriggerAsync("blocked", new { signal = "wait-cancelled" });
        using var cancel = new CancellationTokenSource();

        var wait = fixture.Client.WaitForRunAsync(runId, Wait, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.False((await fixture.Client.GetRunAsync(runId))!.IsFinished);
        fixture.Signals.Set("wait-cancelled");
        Assert.Equal("released", (await fixture.Client.WaitForRunAsync(runId, Wait)).Output.As<string>());
    }

    [Fact]
    public async Task TriggerAsync_TokenCancelled_StartsNoRun()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Client.TriggerAsync("echo", new { n = 1 }, "cancelled-trigger", cancel.Token));

        Assert.Null(await fixture.Client.GetRunAsync("cancelled-trigger"));
    }

    [Fact]
    public async Task CancelAsync_RunningRun_EndsCancelledWithReason()
    {
        var runId = await fixture.Client.TriggerAsync("blocked", new { signal = "cancel-never" });

        await fixture.Client.CancelAsync(runId, "customer withdrew");
        var run = await fixture.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("customer withdrew", run.Error!.Message);
    }

    [Fact]
    public async Task CancelAsync_UnknownRun_ThrowsRunNotFound()
    {
        await Assert.ThrowsAsync<RunNotFoundException>(() => fixture.Client.CancelAsync("no-such-run"));
    }

    [Fact]
    public async Task ReplayAsync_FinishedRun_StartsNewRunWithOriginalPayload()
    {
        var original = await fixture.Client.TriggerAsync("echo", new { n = 7 });
        await fixture.Client.WaitForRunAsync(original, Wait);

        var replay = await fixture.Client.ReplayAsync(original);
        var run = await fixture.Client.WaitForRunAsync(replay, Wait);

        Assert.NotEqual(original, replay);
        Assert.Equal(7, run.Output["n"].As<int>());
        Assert.Equal(original, run.ReplayOf);
    }

    [Fact]
    public async Task PublishEventAsync_StartsEverySubscribedWorkflow()
    {
        var runIds = await fixture.Client.PublishEventAsync("order.created", new { id = "o-1" });

        Assert.Equal(2, runIds.Count);
        var runs = await Task.WhenAll(runIds.Select(id => fixture.Client.WaitForRunAsync(id, Wait)));
        Assert.Equal(["on-created-a", "on-created-b"], runs.Select(r => r.WorkflowId));
        Assert.Equal("o-1-a", runs[0].Output.As<string>());
        Assert.Equal("Event", runs[1].Output.As<string>());
        Assert.Empty(await fixture.Client.PublishEventAsync("nobody.listens", null));
    }

    [Fact]
    public async Task ListRunsAsync_FiltersByWorkflow()
    {
        var runId = await fixture.Client.TriggerAsync("echo", new { n = 99 }, "listed-1");
        await fixture.Client.WaitForRunAsync(runId, Wait);

        var page = await fixture.Client.ListRunsAsync(new RunQuery { WorkflowId = "echo", PageSize = 1000 });

        Assert.Contains(page.Runs, r => r.Id == "listed-1" && r.Status == RunStatus.Completed);
        Assert.All(page.Runs, r => Assert.Equal("echo", r.WorkflowId));
    }
}
