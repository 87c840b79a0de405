using System.Diagnostics;
using System.Text.Json;
using Azure.Data.Tables;
using Cronflow.Azurite.Tests.Infrastructure;
using Cronflow.TestHost;
using DurableTask.Core.History;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// Host processes killed with <c>kill -9</c> while runs are in flight (reliability bars R1 and R2): every run still
/// completes once, with the right output, and its stored history has exactly one completion per step (the hosts drop
/// a step result that a crash delivers again; step bodies that ran again are reported, not failed).
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromMinutes(3);

    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Storage.DeleteTaskHubAsync(_hub);

    [AzuriteFact]
    public async Task TestHost_KilledWithFiftyRunsInFlight_AllCompleteAfterRestartWithEveryStepCompleted()
    {
        const int Runs = 50;
        string[] arguments = [.. Storage.TestHostTuning(), "--max-activities", "8"];
        (int N, string RunId)[] started;
        List<JsonElement> atKill;
        var sinceKill = new Stopwatch();
        var executions = new List<string>();
        var dropped = new List<string>();

        await using (var first = await TestHostProcess.StartAsync("first", _hub, output, arguments))
        {
            using var api = new CronflowApi(first.Url);
            started = await Task.WhenAll(Enumerable.Range(1, Runs).Select(async n => (n, await api.TriggerAsync(TestWorkflows.Chain, new { n }))));

            // In flight: some run is past its second step (so steps have completed and others are running).
            atKill = await Poll.UntilAsync(
                "a chain run to complete two steps",
                () => api.ListRunsAsync(TestWorkflows.Chain),
                runs => runs.Any(r => CronflowApi.CompletedSteps(r) >= 2),
                TimeSpan.FromSeconds(60));
            await first.KillAsync();
            sinceKill.Start();
            executions.AddRange(first.FinishedSteps);
            dropped.AddRange(first.DroppedResults);
        }

        var unfinishedAtKill = atKill.Count(r => CronflowApi.Status(r) != "Completed");
        output.WriteLine($"killed with {unfinishedAtKill} of {Runs} runs unfinished ({atKill.Sum(CronflowApi.CompletedSteps)} steps completed)");
        Assert.True(unfinishedAtKill > 0, "Every run had finished before the kill; the test did not exercise recovery.");

        await using var second = await TestHostProcess.StartAsync("second", _hub, output, arguments);
        output.WriteLine($"restarted host ready {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
        using var api2 = new CronflowApi(second.Url);
        await WaitForAllCompletedAsync(api2, Runs);
        output.WriteLine($"all {Runs} runs completed {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
        ReportStepExecutions([.. executions, .. second.FinishedSteps]);
        ReportDroppedResults([.. dropped, .. second.DroppedResults]);

        foreach (var (n, runId) in started)
        {
            var run = await api2.GetRunAsync(runId);
            Assert.Equal("Completed", CronflowApi.Status(run));
            Assert.Equal(TestWorkflows.ExpectedChainOutput(n), run.GetProperty("output").GetInt64());
        }

        await AssertEachStepCompletedAsync(started.Select(s => s.RunId), TestWorkflows.ChainSteps);
    }

    [AzuriteFact]
    public async Task TestHost_OneOfTwoKilledMidLoad_SurvivorCompletesEveryRun()
    {
        const int Runs = 40;
        string[] arguments = [.. Storage.TestHostTuning(), "--max-activities", "8"];
        await using var doomed = await TestHostProcess.StartAsync("doomed", _hub, output, arguments);
        await using var survivor = await TestHostProcess.StartAsync("survivor", _hub, output, arguments);

        // Both hosts hold partitions before the load, so the killed one takes runs with it.
        await Poll.UntilAsync(
            "both hosts to own control-queue partitions",
            PartitionOwnersAsync,
            owners => owners.Distinct().Count() == 2 && owners.All(o => o is not null),
            TimeSpan.FromSeconds(60),
            owners => string.Join(", ", owners));

        using var viaDoomed = new CronflowApi(doomed.Url);
        using var viaSurvivor = new CronflowApi(survivor.Url);
        var runIds = await Task.WhenAll(Enumerable.Range(1, Runs).Select(n =>
            (n % 2 == 0 ? viaDoomed : viaSurvivor).TriggerAsync(TestWorkflows.Chain, new { n })));

        var atKill = await Poll.UntilAsync(
            "a chain run to complete two steps",
            () => viaSurvivor.ListRunsAsync(TestWorkflows.Chain),
            runs => runs.Any(r => CronflowApi.CompletedSteps(r) >= 2),
            TimeSpan.FromSeconds(60));
        await doomed.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        var unfinishedAtKill = atKill.Count(r => CronflowApi.Status(r) != "Completed");
        output.WriteLine($"killed one host with {unfinishedAtKill} of {Runs} runs unfinished");
        Assert.True(unfinishedAtKill > 0, "Every run had finished before the kill; the test did not exercise recovery.");

        await WaitForAllCompletedAsync(viaSurvivor, Runs);
        output.WriteLine($"all {Runs} runs completed {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");
        ReportStepExecutions([.. doomed.FinishedSteps, .. survivor.FinishedSteps]);
        ReportDroppedResults([.. doomed.DroppedResults, .. survivor.DroppedResults]);

        for (var n = 1; n <= Runs; n++)
        {
            var run = await viaSurvivor.GetRunAsync(runIds[n - 1]);
            Assert.Equal(TestWorkflows.ExpectedChainOutput(n), run.GetProperty("output").GetInt64());
        }

        await AssertEachStepCompletedAsync(runIds, TestWorkflows.ChainSteps);
    }

    /// <summary>
    /// Writes which step bodies finished more than once. Step bodies run at least once: a body that finished in a
    /// host killed before its result was stored runs again; these are reported, not failed.
    /// </summary>
    private void ReportStepExecutions(IReadOnlyCollection<string> executions)
    {
        var repeated = executions.GroupBy(e => e).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
        output.WriteLine($"{executions.Count} step bodies finished; run more than once: {(repeated.Count == 0 ? "none" : string.Join(", ", repeated))}");
    }

    /// <summary>Writes how many repeated step results the hosts dropped before they reached a history, with their log lines.</summary>
    private void ReportDroppedResults(IReadOnlyCollection<string> lines)
    {
        output.WriteLine($"{lines.Count} repeated step result(s) dropped by the hosts");
        foreach (var line in lines)
        {
            output.WriteLine("  " + line);
        }
    }

    private static async Task WaitForAllCompletedAsync(CronflowApi api, int count)
    {
        var runs = await Poll.UntilAsync(
            $"all {count} runs to finish",
            () => api.ListRunsAsync(TestWorkflows.Chain),
            runs => runs.Count == count && runs.All(r => CronflowApi.Status(r) is "Completed" or "Failed" or "Cancelled"),
            CompletionTimeout,
            runs => string.Join(", ", runs.GroupBy(CronflowApi.Status).Select(g => $"{g.Count()} {g.Key}")),
            TimeSpan.FromMilliseconds(500));
        Assert.All(runs, r => Assert.True(CronflowApi.Status(r) == "Completed", $"Run {r.GetProperty("id")} ended {CronflowApi.Status(r)}: {r.GetProperty("error")}"));
    }

    /// <summary>
    /// Reads every run's stored history: each step's activity has exactly one recorded completion. A completion
    /// recorded twice (a completion delivered again, or a step body run again, after a crash, that the host did not drop
    /// before it reached the history) fails the test; each one is listed in the output and in the failure message.
    /// </summary>
    private async Task AssertEachStepCompletedAsync(IEnumerable<string> runIds, int steps)
    {
        var service = Storage.Service(_hub);
        var problems = new List<string>();
        var duplicates = 0;
        foreach (var runId in runIds)
        {
            var history = await Storage.HistoryAsync(service, runId);
            foreach (var (scheduledId, times) in Storage.DuplicateCompletions(history))
            {
                // Equal timestamps: one completion message delivered twice; different ones: the step body ran twice.
                var stamps = history.Where(e => e.TaskScheduledId == scheduledId && e.Type is EventType.TaskCompleted or EventType.TaskFailed).Select(e => e.Timestamp).Distinct().Count();
                var cause = stamps == 1 ? "the same completion delivered again" : "the step body ran again";
                var message = $"{runId}: task {scheduledId} completed {times} times ({cause})";
                output.WriteLine(message);
                problems.Add($"{message}; history: {string.Join(", ", history)}");
                duplicates++;
            }

            var completed = history.Where(e => e.Type == EventType.TaskCompleted).Select(e => e.TaskScheduledId).Distinct().Count();
            if (completed != steps)
            {
                problems.Add($"{runId}: {completed} steps with a completion for {steps} steps; history: {string.Join(", ", history)}");
            }
        }

        output.WriteLine($"{duplicates} completion(s) recorded more than once across the runs");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The current owner of each control-queue partition, from the backend's partition table.</summary>
    private async Task<List<string?>> PartitionOwnersAsync()
    {
        var table = new TableClient(Storage.ConnectionString, _hub + "Partitions");
        var owners = new List<string?>();
        await foreach (var partition in table.QueryAsync<TableEntity>())
        {
            owners.Add(partition.GetString("CurrentOwner"));
        }

        return owners;
    }
}
