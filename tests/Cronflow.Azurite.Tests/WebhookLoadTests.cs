using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cronflow.Azurite.Tests.Infrastructure;
using Cronflow.TestHost;

namespace Cronflow.Azurite.Tests;

/// <summary>A burst of webhook deliveries to a host on Azurite (reliability bar R5): one run each, all complete, no 5xx.</summary>
public sealed class WebhookLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Deliveries = 1000;
    private const int InFlight = 100;

    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Storage.DeleteTaskHubAsync(_hub);

    [AzuriteFact]
    public async Task Webhook_ThousandConcurrentDeliveries_ThousandDistinctRunsAllComplete()
    {
        await using var host = await CronflowHost.StartAsync(
            c => c.AddWorkflow(TestWorkflows.PingWorkflow()),
            o =>
            {
                o.UseAzurite(_hub);
                o.ListenOn("http://127.0.0.1:0");
            });
        using var api = new CronflowApi(new Uri(host.Urls.Single()), maxConnections: InFlight);

        var clock = Stopwatch.StartNew();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var runIds = new ConcurrentDictionary<string, int>();
        using var gate = new SemaphoreSlim(InFlight);
        await Task.WhenAll(Enumerable.Range(0, Deliveries).Select(async n =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await api.Http.PostAsync("/api" + TestWorkflows.PingPath, CronflowApi.Json(new { n }));
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
                    runIds[runId] = n;
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        output.WriteLine($"{Deliveries} deliveries answered in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} x {(int)g.Key}"))}");

        Assert.DoesNotContain(statuses, s => (int)s >= 500);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal(Deliveries, runIds.Count);

        var runs = await Poll.UntilAsync(
            $"{Deliveries} runs to complete",
            async () => (await api.ListRunsAsync(TestWorkflows.Ping)).Select(r => (Id: r.GetProperty("id").GetString()!, Status: CronflowApi.Status(r))).ToList(),
            page => page.Count(r => r.Status is "Completed" or "Failed" or "Cancelled") == Deliveries,
            TimeSpan.FromMinutes(3),
            page => string.Join(", ", page.GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key}")),
            TimeSpan.FromSeconds(3));
        output.WriteLine($"all {Deliveries} runs finished {clock.Elapsed.TotalSeconds:F1} s after the first delivery");

        Assert.All(runs, r => Assert.Equal("Completed", r.Status));
        Assert.Equal(runIds.Keys.Order(), runs.Select(r => r.Id).Order());
        foreach (var runId in runIds.Keys.Take(20))
        {
            var run = await host.Client.GetRunAsync(runId);
            Assert.Equal(runIds[runId] * 2L, run!.Output.As<long>());
        }
    }
}
