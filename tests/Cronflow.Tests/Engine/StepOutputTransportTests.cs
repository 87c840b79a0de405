using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

public sealed class StepOutputTransportTests
{
    private static readonly string Kilobyte = new('k', 1024);

    private static InProcessStepOutputStore Store(StepContext ctx) => (InProcessStepOutputStore)ctx.Services.GetRequiredService<IStepOutputStore>();

    [Fact]
    public async Task Steps_LargeEarlierOutputs_ReadThroughOutputStore()
    {
        var wf = Workflow.Define("large-outputs");
        for (var i = 0; i < 10; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", ctx => new { index, blob = Kilobyte });
        }

        wf = wf.Step("read-first", ctx => ctx.Steps["s0"].Output["index"].As<int>() + ctx.Steps["s9"].Output["index"].As<int>() + ctx.Last["index"].As<int>());

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(18, run.Output.As<int>());
        Assert.All(run.Steps, s => Assert.Equal(1, s.Attempts));
    }

    [Fact]
    public async Task Steps_OutputMissingFromStore_StepFailsAndBodyRunsOnce()
    {
        var counter = new AttemptCounter();
        var wf = Workflow.Define("store-miss")
            .Step("big", ctx => new { blob = Kilobyte + Kilobyte + Kilobyte + Kilobyte + Kilobyte, marker = "first" })
            .Step("reader", async ctx =>
            {
                // As if the store had lost the run's outputs.
                await Store(ctx).DeleteRunAsync(ctx.Run.Id, CancellationToken.None);
                ctx.Services.GetRequiredService<AttemptCounter>().Next("reader");
                return ctx.Steps["big"].Output["marker"].As<string>();
            });

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(counter)));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(typeof(StepOutputUnavailableException).FullName, run.Error!.ErrorType);
        Assert.Equal(1, counter.Count("reader"));
        Assert.Equal(1, run.Step("reader").Attempts);
    }

    [Fact]
    public async Task Steps_UnreadableOutputSwallowedByBody_StepStillFails()
    {
        var wf = Workflow.Define("swallowed-miss")
            .Step("big", ctx => new { blob = Kilobyte + Kilobyte + Kilobyte + Kilobyte + Kilobyte, marker = "kept" })
            .Step("careless", async ctx =>
            {
                await Store(ctx).DeleteRunAsync(ctx.Run.Id, CancellationToken.None);
                try
                {
                    return ctx.Steps["big"].Output["marker"].As<string>();
                }
                catch (CronflowException)
                {
                    return "guessed";
                }
            });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(typeof(StepOutputUnavailableException).FullName, run.Error!.ErrorType);
    }

    [Fact]
    public async Task Store_RunCompletes_OutputsAreFreed()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("tidy")
            .Step("a", ctx => Kilobyte + Kilobyte + Kilobyte + Kilobyte + Kilobyte)
            .Step("b", ctx => Store(ctx).InstanceCount)));
        var store = (InProcessStepOutputStore)host.Services.GetRequiredService<IStepOutputStore>();

        var runId = await host.Client.TriggerAsync("tidy", null);
        var run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));

        Assert.Equal(1, run.Output.As<int>());
        Assert.Equal(0, store.InstanceCount);
    }

    [Fact]
    public async Task Store_SmallOutputs_AreNotStored()
    {
        var wf = Workflow.Define("small-outputs")
            .Step("a", ctx => new { n = 1 })
            .Step("b", ctx => Store(ctx).InstanceCount);

        var run = await wf.TestAsync(null);

        Assert.Equal(0, run.Output.As<int>());
    }

    [Fact]
    public async Task Store_OutputsOutgrowInlineLimit_EveryOutputIsReadable()
    {
        var wf = Workflow.Define("spilling")
            .Step("small", ctx => new { n = 1 })
            .Step("big", ctx => new { blob = Kilobyte + Kilobyte + Kilobyte + Kilobyte + Kilobyte })
            .Step("after", ctx => new { blob = Kilobyte, n = 3 })
            .Step("check", ctx => new
            {
                stored = Store(ctx).InstanceCount,
                sum = ctx.Steps["small"].Output["n"].As<int>() + ctx.Steps["big"].Output["blob"].As<string>().Length + ctx.Steps["after"].Output["n"].As<int>(),
            });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(1, run.Output["stored"].As<int>());
        Assert.Equal(1 + (5 * 1024) + 3, run.Output["sum"].As<int>());
    }

    [Fact]
    public async Task Get_StoredOutput_ReturnsIt()
    {
        var store = new InProcessStepOutputStore();

        var key = await store.PutAsync("r", "r", JsonSerializer.SerializeToElement(new { a = 1 }), CancellationToken.None);

        Assert.StartsWith("r/r/", key, StringComparison.Ordinal);
        Assert.Equal(1, store.Get(key).GetProperty("a").GetInt32());
    }

    [Fact]
    public async Task InstanceEnded_OneInstance_OnlyItsOutputsAreFreed()
    {
        var store = new InProcessStepOutputStore();
        var run = await store.PutAsync("r", "r", JsonSerializer.SerializeToElement(1), CancellationToken.None);
        var chunk = await store.PutAsync("r", "r~chunk1", JsonSerializer.SerializeToElement(2), CancellationToken.None);

        store.InstanceEnded("r", "r~chunk1");

        Assert.Equal(1, store.Get(run).GetInt32());
        Assert.Throws<StepOutputUnavailableException>(() => store.Get(chunk));
    }

    [Fact]
    public async Task DeleteRunAsync_RunWithChunks_DeletesOnlyThatRun()
    {
        var store = new InProcessStepOutputStore();
        var run = await store.PutAsync("r", "r", JsonSerializer.SerializeToElement(1), CancellationToken.None);
        var chunk = await store.PutAsync("r", "r~chunk1", JsonSerializer.SerializeToElement(2), CancellationToken.None);
        var other = await store.PutAsync("r2", "r2", JsonSerializer.SerializeToElement(3), CancellationToken.None);

        await store.DeleteRunAsync("r", CancellationToken.None);

        Assert.Throws<StepOutputUnavailableException>(() => store.Get(run));
        Assert.Throws<StepOutputUnavailableException>(() => store.Get(chunk));
        Assert.Equal(3, store.Get(other).GetInt32());
    }
}
