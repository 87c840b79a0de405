using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

public sealed class RunConcurrencyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Concurrency_TwoSlotsTenRuns_NeverMoreThanTwoAndAllComplete()
    {
        var probe = new ConcurrencyProbe();
        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(probe);
            c.AddWorkflow(Workflow.Define("capped", o => o.Concurrency = 2)
                .Step("work", async ctx => await ctx.Services.GetRequiredService<ConcurrencyProbe>().Track(async () =>
                {
                    await Task.Delay(20);
                    return ctx.Payload["n"].As<int>();
                })));
        });

        var runIds = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            runIds.Add(await host.Client.TriggerAsync("capped", new { n = i }));
        }

        var runs = await Task.WhenAll(runIds.Select(id => host.Client.WaitForRunAsync(id, Wait)));

        Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
        Assert.Equal(Enumerable.Range(0, 10), runs.Select(r => r.Output.As<int>()));
        Assert.Equal(10, probe.Calls);
        Assert.InRange(probe.Max, 1, 2);
    }

    [Fact]
    public async Task Concurrency_SlotsFull_ExtraRunsPendingInArrivalOrderUntilSlotFrees()
    {
        var signals = new Signals();
        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(signals);
            c.AddWorkflow(Workflow.Define("gated", o => o.Concurrency = 2)
                .Step("hold", async ctx =>
                {
                    await ctx.Services.GetRequiredService<Signals>().Wait("release-" + ctx.Payload["n"].As<int>(), ctx.CancellationToken);
                    return ctx.Payload["n"].As<int>();
                }));
        });

        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await host.Client.TriggerAsync("gated", new { n = i }));
            await RunWaits.WaitForStatus(host.Client, ids[i], i < 2 ? RunStatus.Running : RunStatus.Pending, r => i < 2 ? r.Steps.Count == 1 : r.WaitingFor is not null);
        }

        var queued = await host.Client.GetRunAsync(ids[3]);
        Assert.Equal(RunStatus.Pending, queued!.Status);
        Assert.Equal("a run slot (workflow 'gated' runs at most 2 at once)", queued.WaitingFor);

        // Freeing one slot starts the earliest waiting run, not a later one.
        signals.Set("release-0");
        await host.Client.WaitForRunAsync(ids[0], Wait);
        await RunWaits.WaitForStatus(host.Client, ids[2], RunStatus.Running, r => r.Steps.Count == 1);
        Assert.Equal(RunStatus.Pending, (await host.Client.GetRunAsync(ids[3]))!.Status);

        // Cancelling a running run gives its slot back too.
        await host.Client.CancelAsync(ids[1], "not needed");
        await RunWaits.WaitForStatus(host.Client, ids[3], RunStatus.Running, r => r.Steps.Count == 1);

        signals.Set("release-2");
        signals.Set("release-3");
        Assert.Equal(2, (await host.Client.WaitForRunAsync(ids[2], Wait)).Output.As<int>());
        Assert.Equal(3, (await host.Client.WaitForRunAsync(ids[3], Wait)).Output.As<int>());
        Assert.Equal(RunStatus.Cancelled, (await host.Client.WaitForRunAsync(ids[1], Wait)).Status);
    }
}
