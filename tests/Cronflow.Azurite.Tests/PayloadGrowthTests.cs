using System.Text.Json;
using Cronflow.Azurite.Tests.Infrastructure;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// Performance bar P7 on Azure Storage with the host's default settings: the bytes a run sends to activities and
/// sub-orchestrations (their inputs, counted as the worker commits them) stay within 3× the sum of the outputs
/// its steps produce (the activities' results), and the results are right.
/// </summary>
public sealed class PayloadGrowthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const double Bar = 3.0;
    private const int Steps = 50;
    private const int Items = 20;
    private const int ChunkSize = 5;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(180);
    private static readonly string Kilobyte = new('x', 1000);
    private static readonly string HundredKilobytes = new('h', 100 * 1024);

    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Storage.DeleteTaskHubAsync(_hub);

    [AzuriteFact]
    public async Task Inputs_FiftyStepsOfOneKilobyte_AtMostThreeTimesTheOutputs()
    {
        var wf = Workflow.Define("payload-50");
        for (var i = 0; i < Steps; i++)
        {
            var index = i;
            wf = index < Steps - 1
                ? wf.Step($"s{index}", _ => new { i = index, blob = Kilobyte })
                : wf.Step($"s{index}", ctx => new
                {
                    i = index,
                    blob = Kilobyte,
                    sum = Enumerable.Range(0, index).Sum(k => ctx.Steps[$"s{k}"].Output["i"].As<int>()),
                    blobs = Enumerable.Range(0, index).Count(k => ctx.Steps[$"s{k}"].Output["blob"].As<string>() == Kilobyte),
                });
        }

        var runId = NewRunId();
        PayloadCounter bytes = null!;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o =>
        {
            o.UseAzurite(_hub);
            o.WrapWorkerService = inner => bytes = new PayloadCounter(inner, runId);
        });
        await host.Client.TriggerAsync("payload-50", null, runId);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal(Steps - 1, run.Output["i"].As<int>());
        Assert.Equal(Enumerable.Range(0, Steps - 1).Sum(), run.Output["sum"].As<int>());
        Assert.Equal(Steps - 1, run.Output["blobs"].As<int>());

        output.WriteLine(bytes.ToString());
        Assert.Equal(Steps, bytes.Activities);
        Assert.Equal(0, bytes.SubOrchestrations);
        Assert.True(bytes.Ratio <= Bar, $"inputs are {bytes.Ratio:F2}× the outputs (bar {Bar}×): {bytes}");
    }

    /// <remarks>
    /// Today each chunk's input and each item's step request still carry the 100 KB output as a value (see
    /// docs/architecture.md, "Not yet by reference"), about 28× the outputs: this test holds the bar that sending
    /// them by reference is to meet.
    /// </remarks>
    [AzuriteFact]
    public async Task Inputs_ChunkedForEachAfterHundredKilobyteOutput_AtMostThreeTimesTheOutputs()
    {
        var wf = Workflow.Define("chunks-after-large")
            .Step("big", _ => new { blob = HundredKilobytes })
            .ForEach(
                "each",
                _ => Enumerable.Range(0, Items),
                (item, flow) => flow.Step("work", ctx => new { item, size = ctx.Steps["big"].Output["blob"].As<string>().Length }),
                new ForEachOptions { ChunkSize = ChunkSize })
            .Step("total", ctx => ctx.Last.As<JsonElement[]>().Sum(r => r.GetProperty("item").GetInt32()));

        var runId = NewRunId();
        PayloadCounter bytes = null!;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o =>
        {
            o.UseAzurite(_hub);
            o.WrapWorkerService = inner => bytes = new PayloadCounter(inner, runId);
        });
        await host.Client.TriggerAsync("chunks-after-large", null, runId);
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
        Assert.Equal(Enumerable.Range(0, Items).Sum(), run.Output.As<int>());
        var each = run.Steps.Single(s => s.Name == "each").Output!;
        Assert.Equal(Enumerable.Range(0, Items), each.As<JsonElement[]>().Select(r => r.GetProperty("item").GetInt32()));
        Assert.All(each.As<JsonElement[]>(), r => Assert.Equal(HundredKilobytes.Length, r.GetProperty("size").GetInt32()));

        output.WriteLine(bytes.ToString());
        Assert.Equal(Items + 2, bytes.Activities);
        Assert.Equal(Items / ChunkSize, bytes.SubOrchestrations);
        Assert.True(bytes.Ratio <= Bar, $"inputs are {bytes.Ratio:F2}× the outputs (bar {Bar}×): {bytes}");
    }

    private static string NewRunId() => "p7-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
