using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary><see cref="ICronflowClient.PurgeRunAsync"/> on the in-memory engine: what is deleted, and what is refused.</summary>
public sealed class PurgeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly string FiveKilobytes = new('p', 5 * 1024);

    [Fact]
    public async Task PurgeRunAsync_CompletedRunWithChunksAndSubflow_DeletesRunChildrenAndOutputs()
    {
        var store = new KeepingStore();
        await using var host = await StartAsync(store);
        var runId = await host.Client.TriggerAsync("parent", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        var client = (DurableCronflowClient)host.Client;
        var children = await client.DescendantsAsync(runId, activeOnly: false);
        Assert.Contains(children, c => c.InstanceId == runId + ":child");
        Assert.Contains(children, c => c.InstanceId.StartsWith(runId + "~", StringComparison.Ordinal));
        Assert.True(store.Count(runId) > 0, "the run stored outputs");
        Assert.True(store.Count(runId + ":child") > 0, "the subflow stored outputs");

        var purged = await client.PurgeRunAsync(runId);

        Assert.True(purged);
        Assert.Null(await host.Client.GetRunAsync(runId));
        Assert.Empty(await client.DescendantsAsync(runId, activeOnly: false));
        foreach (var child in children)
        {
            Assert.Null(await client.GetInstanceSnapshotAsync(child.InstanceId));
        }

        Assert.Equal(0, store.Count(runId));
        Assert.Equal(0, store.Count(runId + ":child"));
        Assert.DoesNotContain(runId, (await host.Client.ListRunsAsync(new RunQuery())).Runs.Select(r => r.Id));
    }

    [Fact]
    public async Task PurgeRunAsync_RunStillWaiting_ThrowsRunNotEndedAndKeepsEverything()
    {
        var store = new KeepingStore();
        await using var host = await StartAsync(store);
        var runId = await host.Client.TriggerAsync("waiting", null);
        await RunWaits.WaitForStatus(host.Client, runId, RunStatus.Waiting);

        var ex = await Assert.ThrowsAsync<RunNotEndedException>(() => host.Client.PurgeRunAsync(runId));

        Assert.Equal(runId, ex.RunId);
        Assert.Equal($"Run '{runId}' cannot be purged: it is Waiting; cancel it or let it end first.", ex.Message);
        Assert.Equal(RunStatus.Waiting, (await host.Client.GetRunAsync(runId))!.Status);
        Assert.True(store.Count(runId) > 0, "the stored output is kept");

        // Once cancelled, it can be purged.
        await host.Client.CancelAsync(runId, "done waiting");
        await host.Client.WaitForRunAsync(runId, Wait);
        Assert.True(await host.Client.PurgeRunAsync(runId));
        Assert.Null(await host.Client.GetRunAsync(runId));
        Assert.Equal(0, store.Count(runId));
    }

    [Fact]
    public async Task PurgeRunAsync_DecidedRunStillHoldingAbandonedWork_RefusedUntilItsOrchestrationEnds()
    {
        var signals = new Signals();
        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(signals);
            c.AddWorkflow(Workflow.Define("race")
                .Race(
                    _ => Task.FromResult<object?>("fast"),
                    async ctx =>
                    {
                        await ctx.Services.GetRequiredService<Signals>().Wait("release-loser");
                        return "slow";
                    }));
        });
        var runId = await host.Client.TriggerAsync("race", null);
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Completed, run.Status);

        var ex = await Assert.ThrowsAsync<RunNotEndedException>(() => host.Client.PurgeRunAsync(runId));

        Assert.Equal("it is Completed, but its orchestration still waits for work it abandoned; purge it once that has ended", ex.Reason);
        signals.Set("release-loser");
        var client = (DurableCronflowClient)host.Client;
        using var limit = new CancellationTokenSource(Wait);
        while (await client.GetInstanceSnapshotAsync(runId) is { State: InstanceState.Running or InstanceState.Pending })
        {
            await Task.Delay(10, limit.Token);
        }

        Assert.True(await host.Client.PurgeRunAsync(runId));
        Assert.Null(await host.Client.GetRunAsync(runId));
    }

    [Fact]
    public async Task PurgeRunAsync_RunWithStoredPayload_DeletesThePayload()
    {
        var store = new KeepingStore();
        await using var host = await StartAsync(store);
        var payload = new { blob = FiveKilobytes };
        var runId = await host.Client.TriggerAsync("payload", payload, "with-payload");

        // Starting the same run again is idempotent: the payload is not stored a second time.
        Assert.Equal(runId, await host.Client.TriggerAsync("payload", payload, "with-payload"));
        var run = await host.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(FiveKilobytes.Length, run.Output.As<int>());
        Assert.Equal(1, store.Count(runId));

        Assert.True(await host.Client.PurgeRunAsync(runId));

        Assert.Equal(0, store.Count(runId));
    }

    [Fact]
    public async Task PurgeRunAsync_UnknownOrChildId_ReturnsFalse()
    {
        await using var host = await StartAsync(new KeepingStore());

        Assert.False(await host.Client.PurgeRunAsync("no-such-run"));
        Assert.False(await host.Client.PurgeRunAsync("cronflow-gate~parent"));
    }

    [Fact]
    public async Task PurgeRunAsync_OtherRunWhoseIdExtendsThisOne_IsLeftAlone()
    {
        await using var host = await StartAsync(new KeepingStore());
        var runId = await host.Client.TriggerAsync("small", null, "order-1");
        var other = await host.Client.TriggerAsync("small", null, "order-1:retry");
        await host.Client.WaitForRunAsync(runId, Wait);
        await host.Client.WaitForRunAsync(other, Wait);

        Assert.True(await host.Client.PurgeRunAsync(runId));

        Assert.Null(await host.Client.GetRunAsync(runId));
        Assert.Equal(RunStatus.Completed, (await host.Client.GetRunAsync(other))!.Status);
    }

    private static Task<CronflowHost> StartAsync(KeepingStore store) => CronflowHost.StartAsync(c =>
    {
        c.Services.AddSingleton<IStepOutputStore>(store);
        c.AddWorkflow(Workflow.Define("parent")
            .Step("big", _ => new { blob = FiveKilobytes })
            .ForEach("each", _ => Enumerable.Range(0, 4), (i, f) => f.Step("work", _ => new { i, blob = FiveKilobytes }), new ForEachOptions { ChunkSize = 2 })
            .Subflow("child", "child")
            .Step("read", ctx => ctx.Steps["big"].Output["blob"].As<string>().Length));
        c.AddWorkflow(Workflow.Define("child")
            .Step("child-big", _ => new { blob = FiveKilobytes })
            .Step("child-read", ctx => ctx.Steps["child-big"].Output["blob"].As<string>().Length));
        c.AddWorkflow(Workflow.Define("waiting")
            .Step("big", _ => new { blob = FiveKilobytes })
            .WaitForEvent("never"));
        c.AddWorkflow(Workflow.Define("small").Step("one", _ => 1));
        c.AddWorkflow(Workflow.Define("payload").Step("read", ctx => ctx.Payload["blob"].As<string>().Length));
    });

    /// <summary>
    /// The in-process store, keeping outputs after their instance ends as a durable store does when its background
    /// deletion has not run (or failed): only <see cref="IStepOutputStore.DeleteRunAsync"/> removes them.
    /// </summary>
    private sealed class KeepingStore : IStepOutputStore
    {
        private readonly ConcurrentDictionary<string, JsonElement> _outputs = new(StringComparer.Ordinal);

        public int Count(string runId) => _outputs.Keys.Count(k => k.StartsWith(StepOutputKeys.RunPrefix(runId), StringComparison.Ordinal));

        public Task<string> PutAsync(string runId, string instanceId, JsonElement output, CancellationToken cancellationToken)
        {
            var key = StepOutputKeys.New(runId, instanceId);
            _outputs[key] = output.Clone();
            return Task.FromResult(key);
        }

        public JsonElement Get(string key) =>
            _outputs.TryGetValue(key, out var output) ? output : throw new StepOutputUnavailableException(key, "it was deleted");

        public void InstanceEnded(string runId, string instanceId)
        {
        }

        public Task DeleteRunAsync(string runId, CancellationToken cancellationToken)
        {
            foreach (var key in _outputs.Keys.Where(k => k.StartsWith(StepOutputKeys.RunPrefix(runId), StringComparison.Ordinal)))
            {
                _outputs.TryRemove(key, out _);
            }

            return Task.CompletedTask;
        }
    }
}
