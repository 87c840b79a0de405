using System.Text.Json;
using Cronflow.Azurite.Tests.Infrastructure;
using DurableTask.Core;
using DurableTask.Core.History;

namespace Cronflow.Azurite.Tests;

/// <summary>The concurrency gate on Azure Storage: decisions that replay unchanged across a deploy, and cheap waiting.</summary>
public sealed class ConcurrencyGateTests : IAsyncLifetime
{
    private const string GateId = "cronflow-gate~capped";
    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable(AzuriteFactAttribute.Variable) is not null)
        {
            await Storage.DeleteTaskHubAsync(_hub);
        }
    }

    [AzuriteFact]
    public async Task Gate_DeployRaisesCap_KeepsItsCapUntilContinueAsNewThenAppliesIt()
    {
        string first, second;
        await using (var before = await StartAsync(cap: 1))
        {
            first = await before.Client.TriggerAsync("capped", new { n = 1, hold = true });
            await Poll.RunStatusAsync(before.Client, first, RunStatus.Waiting);
            second = await before.Client.TriggerAsync("capped", new { n = 2, hold = true });
            await Poll.RunStatusAsync(before.Client, second, RunStatus.Pending, r => r.WaitingFor is not null);
            await GateAsync(g => g.Queue.SequenceEqual([second]));
        }

        // The deploy: the same workflow with a higher cap. The gate's next message replays its history.
        await using var after = await StartAsync(cap: 2);
        var third = await after.Client.TriggerAsync("capped", new { n = 3, hold = true });
        var gate = await GateAsync(g => g.Queue.Count == 2);

        Assert.Equal(OrchestrationStatus.Running, gate.Status);
        Assert.Equal([first], gate.Running);
        Assert.Equal([second, third], gate.Queue);
        Assert.Equal(1, gate.Limit);
        Assert.Equal(RunStatus.Pending, (await after.Client.GetRunAsync(second))!.Status);

        // Slots still go one at a time, in arrival order.
        await after.Client.RaiseEventAsync(first, "go", null);
        Assert.Equal(RunStatus.Completed, (await after.Client.WaitForRunAsync(first, TimeSpan.FromSeconds(60))).Status);
        await Poll.RunStatusAsync(after.Client, second, RunStatus.Waiting);
        Assert.Equal(RunStatus.Pending, (await after.Client.GetRunAsync(third))!.Status);
        await after.Client.RaiseEventAsync(second, "go", null);
        await Poll.RunStatusAsync(after.Client, third, RunStatus.Waiting);
        await after.Client.RaiseEventAsync(third, "go", null);
        Assert.Equal(RunStatus.Completed, (await after.Client.WaitForRunAsync(third, TimeSpan.FromSeconds(60))).Status);

        // Enough slot requests and releases to end the gate's generation: the next one applies the new cap.
        var quick = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            quick.Add(await after.Client.TriggerAsync("capped", new { n = 10 + i, hold = false }));
        }

        foreach (var runId in quick)
        {
            Assert.Equal(RunStatus.Completed, (await after.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(120))).Status);
        }

        Assert.Equal(2, (await GateAsync(g => g.Limit == 2)).Limit);
        var a = await after.Client.TriggerAsync("capped", new { n = 100, hold = true });
        var b = await after.Client.TriggerAsync("capped", new { n = 101, hold = true });
        await Poll.RunStatusAsync(after.Client, a, RunStatus.Waiting);
        await Poll.RunStatusAsync(after.Client, b, RunStatus.Waiting);
        await after.Client.RaiseEventAsync(a, "go", null);
        await after.Client.RaiseEventAsync(b, "go", null);
        Assert.Equal(RunStatus.Completed, (await after.Client.WaitForRunAsync(b, TimeSpan.FromSeconds(60))).Status);
    }

    [AzuriteFact]
    public async Task QueuedRun_GateAnswersQueued_RunSendsOneRequestAndWaits()
    {
        await using var host = await StartAsync(cap: 1);
        var first = await host.Client.TriggerAsync("capped", new { n = 1, hold = true });
        await Poll.RunStatusAsync(host.Client, first, RunStatus.Waiting);
        var second = await host.Client.TriggerAsync("capped", new { n = 2, hold = true });
        await Poll.RunStatusAsync(host.Client, second, RunStatus.Pending, r => r.WaitingFor is not null);

        var service = Storage.Service(_hub);
        var history = await Poll.UntilAsync(
            "the gate's answer in the queued run's history",
            () => Storage.HistoryAsync(service, second),
            h => h.Any(e => e.Type == EventType.EventRaised),
            TimeSpan.FromSeconds(30),
            h => string.Join(", ", h));

        Assert.Equal(1, history.Count(e => e.Type == EventType.EventSent));
        Assert.Equal(1, history.Count(e => e.Type == EventType.EventRaised));
        Assert.Equal(RunStatus.Pending, (await host.Client.GetRunAsync(second))!.Status);

        await host.Client.RaiseEventAsync(first, "go", null);
        await Poll.RunStatusAsync(host.Client, second, RunStatus.Waiting);
        await host.Client.RaiseEventAsync(second, "go", null);
        Assert.Equal(RunStatus.Completed, (await host.Client.WaitForRunAsync(second, TimeSpan.FromSeconds(60))).Status);
    }

    private Task<CronflowHost> StartAsync(int cap) => CronflowHost.StartAsync(
        c => c.AddWorkflow(Workflow.Define("capped", o => o.Concurrency = cap)
            .If("hold", ctx => ctx.Payload["hold"].As<bool>())
                .WaitForEvent("go")
            .EndIf()
            .Step("done", ctx => "done")),
        o => o.UseAzurite(_hub));

    private Task<GateView> GateAsync(Func<GateView, bool> done) => Poll.UntilAsync(
        "the gate's state",
        async () =>
        {
            var state = (await Storage.Service(_hub).GetOrchestrationStateAsync(GateId, allExecutions: false)).Single();
            using var status = JsonDocument.Parse(state.Status ?? "{}");
            var root = status.RootElement.ValueKind == JsonValueKind.String ? JsonDocument.Parse(status.RootElement.GetString()!).RootElement.Clone() : status.RootElement.Clone();
            return new GateView(
                state.OrchestrationStatus,
                [.. root.TryGetProperty("running", out var running) ? running.EnumerateArray().Select(e => e.GetString()!) : []],
                [.. root.TryGetProperty("queue", out var queue) ? queue.EnumerateArray().Select(e => e.GetString()!) : []],
                root.TryGetProperty("limit", out var limit) ? limit.GetInt32() : null);
        },
        done,
        TimeSpan.FromSeconds(60),
        g => g.ToString());

    private sealed record GateView(OrchestrationStatus Status, List<string> Running, List<string> Queue, int? Limit)
    {
        public override string ToString() => $"{Status} running=[{string.Join(",", Running)}] queue=[{string.Join(",", Queue)}] limit={Limit}";
    }
}
