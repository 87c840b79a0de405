using System.Collections.Concurrent;
using Azure.Storage.Blobs;
using Cronflow.Azurite.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// Two hosts on one task hub, with outputs too large to travel inline: whichever host runs a step reads every earlier
/// output from the task hub's output store, so no step body runs twice, and the outputs are deleted once runs end
/// (and, whatever is left, when a run is purged).
/// </summary>
public sealed class StepOutputStoreTests : IAsyncLifetime
{
    private const int Runs = 10;
    private const int Steps = 8;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);
    private static readonly string EightKilobytes = new('o', 8 * 1024);

    private readonly string _hub = Storage.NewTaskHub();
    private readonly BodyRuns _bodies = new();
    private readonly List<CronflowHost> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await Container().DeleteIfExistsAsync();
        await Storage.DeleteTaskHubAsync(_hub);
    }

    [AzuriteFact]
    public async Task Steps_TwoHostsLargeOutputsReadEveryEarlierOutput_EachBodyRunsOnce()
    {
        var a = await StartHostAsync();
        var b = await StartHostAsync();

        var runIds = new List<string>();
        for (var i = 0; i < Runs; i++)
        {
            runIds.Add(await (i % 2 == 0 ? a : b).Client.TriggerAsync("large-outputs", null));
        }

        foreach (var runId in runIds)
        {
            var run = await a.Client.WaitForRunAsync(runId, Wait);
            Assert.Equal(RunStatus.Completed, run.Status);
            Assert.Equal(Steps - 1, run.Output["read"].As<int>());
            Assert.True(run.Output["stored"].As<int>() >= Steps - 1, $"{run.Output["stored"]} outputs stored");
            Assert.All(run.Steps, s => Assert.Equal(1, s.Attempts));
        }

        Assert.Equal(Runs * Steps, _bodies.Count);
        Assert.All(_bodies.Counts, count => Assert.Equal(1, count));

        // The outputs were stored (8 KB is over the inline limit), and are deleted once their runs end.
        var left = await Poll.UntilAsync("stored outputs deleted", () => CountBlobsAsync(null), n => n == 0, Wait, n => $"{n} blobs left");
        Assert.Equal(0, left);
    }

    [AzuriteFact]
    public async Task PurgeRunAsync_EndedRunWithLeftoverOutputs_DeletesItsHistoryAndBlobsOnly()
    {
        await using var host = await CronflowHost.StartAsync(
            c => c.AddWorkflow(Workflow.Define("purged")
                .Step("big", _ => new { blob = EightKilobytes })
                .ForEach("each", _ => Enumerable.Range(0, 4), (i, f) => f.Step("work", _ => new { i, blob = EightKilobytes }), new ForEachOptions { ChunkSize = 2 })
                .Step("read", ctx => ctx.Steps["big"].Output["blob"].As<string>().Length)),
            o => o.UseAzurite(_hub));
        _hosts.Add(host);
        var runId = await host.Client.TriggerAsync("purged", null);
        var other = await host.Client.TriggerAsync("purged", null);
        Assert.Equal(RunStatus.Completed, (await host.Client.WaitForRunAsync(runId, Wait)).Status);
        Assert.Equal(RunStatus.Completed, (await host.Client.WaitForRunAsync(other, Wait)).Status);

        // The store deletes an instance's outputs once it ends; what a failed deletion leaves behind is purged with the run.
        await Poll.UntilAsync("ended instances' outputs deleted", () => CountBlobsAsync(null), n => n == 0, Wait, n => $"{n} blobs left");
        foreach (var key in new[] { $"{runId}/{runId}/left-1", $"{runId}/{runId}~chunk/left-2", $"{other}/{other}/left-3" })
        {
            await Container().UploadBlobAsync(key, new BinaryData("{}"u8.ToArray()));
        }

        var service = Storage.Service(_hub);
        Assert.Equal(3, await CountInstancesAsync(service, runId));

        Assert.True(await host.Client.PurgeRunAsync(runId));

        Assert.Null(await host.Client.GetRunAsync(runId));
        Assert.Equal(0, await CountInstancesAsync(service, runId));
        Assert.Equal(0, await CountBlobsAsync(runId + "/"));
        Assert.Equal(1, await CountBlobsAsync(other + "/"));
        Assert.Equal(RunStatus.Completed, (await host.Client.GetRunAsync(other))!.Status);
        Assert.False(await host.Client.PurgeRunAsync(runId));
    }

    [AzuriteFact]
    public async Task Run_LargePayload_StepsReadTheStoredBlobAndPurgeDeletesIt()
    {
        await using var host = await CronflowHost.StartAsync(
            c => c.AddWorkflow(Workflow.Define("payload-blob")
                .Step("read", async ctx => new { length = ctx.Payload["blob"].As<string>().Length, stored = await CountBlobsAsync(ctx.Run.Id + "/") })
                .WaitForEvent("go")
                .Step("again", ctx => ctx.Payload["blob"].As<string>().Length)),
            o => o.UseAzurite(_hub));
        _hosts.Add(host);
        var payload = new { blob = EightKilobytes };
        var completed = await host.Client.TriggerAsync("payload-blob", payload);
        var cancelled = await host.Client.TriggerAsync("payload-blob", payload);

        // Each start stored its payload once, below its run; the steps read it from there.
        Assert.Equal(1, await CountBlobsAsync(completed + "/"));
        Assert.Equal(1, await CountBlobsAsync(cancelled + "/"));
        await Poll.RunStatusAsync(host.Client, completed, RunStatus.Waiting, timeout: Wait);
        await Poll.RunStatusAsync(host.Client, cancelled, RunStatus.Waiting, timeout: Wait);
        await host.Client.RaiseEventAsync(completed, "go", null);
        var run = await host.Client.WaitForRunAsync(completed, Wait);
        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal(EightKilobytes.Length, run.Steps.Single(s => s.Name == "read").Output!["length"].As<int>());
        Assert.Equal(1, run.Steps.Single(s => s.Name == "read").Output!["stored"].As<int>());
        Assert.Equal(EightKilobytes.Length, run.Output.As<int>());

        // The ended run's payload goes with its instance; a cancelled run's stays until the run is purged.
        await Poll.UntilAsync("the completed run's payload deleted", () => CountBlobsAsync(completed + "/"), n => n == 0, Wait, n => $"{n} blobs left");
        await host.Client.CancelAsync(cancelled, "not needed");
        Assert.Equal(RunStatus.Cancelled, (await host.Client.WaitForRunAsync(cancelled, Wait)).Status);
        Assert.Equal(1, await CountBlobsAsync(cancelled + "/"));

        Assert.True(await host.Client.PurgeRunAsync(cancelled));

        Assert.Equal(0, await CountBlobsAsync(cancelled + "/"));
    }

    /// <summary>The run's instance and those under it (its chunks) that the task hub still holds.</summary>
    private static async Task<int> CountInstancesAsync(DurableTask.AzureStorage.AzureStorageOrchestrationService service, string runId)
    {
        var result = await service.GetOrchestrationWithQueryAsync(new DurableTask.Core.Query.OrchestrationQuery { InstanceIdPrefix = runId, PageSize = 100 }, CancellationToken.None);
        return result.OrchestrationState.Count(s => s.OrchestrationInstance.InstanceId == runId || s.OrchestrationInstance.InstanceId.StartsWith(runId + "~", StringComparison.Ordinal));
    }

    private BlobContainerClient Container() => new(Storage.ConnectionString, _hub.ToLowerInvariant() + "-stepoutputs");

    private async Task<int> CountBlobsAsync(string? prefix)
    {
        var container = Container();
        if (!await container.ExistsAsync())
        {
            return -1;
        }

        var count = 0;
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
        {
            count++;
        }

        return count;
    }

    private async Task<CronflowHost> StartHostAsync()
    {
        var host = await CronflowHost.StartAsync(
            c =>
            {
                c.Services.AddSingleton(_bodies);
                var wf = Workflow.Define("large-outputs");
                for (var i = 0; i < Steps; i++)
                {
                    var index = i;
                    wf = wf.Step($"s{index}", async ctx =>
                    {
                        ctx.Services.GetRequiredService<BodyRuns>().Ran(ctx.Run.Id, index);
                        var read = 0;
                        for (var earlier = 0; earlier < index; earlier++)
                        {
                            var output = ctx.Steps[$"s{earlier}"].Output;
                            Assert.Equal(earlier, output["index"].As<int>());
                            Assert.Equal(EightKilobytes, output["blob"].As<string>());
                            read++;
                        }

                        // The last step also counts the run's outputs in the store: every earlier one is there.
                        var stored = index == Steps - 1 ? await CountBlobsAsync(ctx.Run.Id + "/") : 0;
                        return new { index, read, stored, blob = EightKilobytes };
                    });
                }

                c.AddWorkflow(wf);
            },
            o => o.UseAzurite(_hub));
        _hosts.Add(host);
        return host;
    }

    /// <summary>How often each step body ran, by run and step.</summary>
    private sealed class BodyRuns
    {
        private readonly ConcurrentDictionary<(string Run, int Step), int> _runs = new();

        public int Count => _runs.Count;

        public IEnumerable<int> Counts => _runs.Values;

        public void Ran(string runId, int step) => _runs.AddOrUpdate((runId, step), 1, (_, n) => n + 1);
    }
}
