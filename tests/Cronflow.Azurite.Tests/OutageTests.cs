using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cronflow.Azurite.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// Reliability bar R7: storage stops with runs in flight and schedule occurrences due, then comes back. Meanwhile the
/// API answers 503 backend_unavailable with Retry-After in time; afterwards every run completes once and each missed
/// occurrence runs once. Runs on an Azurite of its own (the shared one is never stopped).
/// </summary>
public sealed class OutageTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Noon = new(2030, 1, 1, 12, 0, 30, TimeSpan.Zero);

    [OutageFact]
    public async Task Backend_StorageStopsAndComesBack_503MeanwhileThenEveryRunAndMissedOccurrenceOnce()
    {
        await using var azurite = await PrivateAzurite.StartAsync();
        var time = new FakeTimeProvider(Noon);
        var clock = new TickingClock(time);
        var steps = new StepLog();
        var hub = Storage.NewTaskHub();
        using var logs = new LogCapture(Microsoft.Extensions.Logging.LogLevel.Information);
        using var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Information));
        try
        {
            await RunAsync(azurite, time, clock, steps, hub, loggerFactory);
        }
        catch
        {
            foreach (var line in logs.Lines.TakeLast(900))
            {
                output.WriteLine(line);
            }

            throw;
        }
    }

    private async Task RunAsync(PrivateAzurite azurite, FakeTimeProvider time, TickingClock clock, StepLog steps, string hub, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        await using var host = await CronflowHost.StartAsync(
            c =>
            {
                c.Services.AddSingleton(steps);
                c.AddWorkflow(Workflow.Define("in-flight").Step("work", async ctx =>
                {
                    var log = ctx.Services.GetRequiredService<StepLog>();
                    log.Started(ctx.Run.Id);
                    await log.Release.Task;
                    return ctx.Payload["n"].As<int>();
                }));
                c.AddWorkflow(Workflow.Define("minutely").OnSchedule("* * * * *").Step("tick", ctx =>
                {
                    ctx.Services.GetRequiredService<StepLog>().Ran(ctx.Run.Id);
                    return ctx.Payload["scheduledFor"].As<string>();
                }));
            },
            o =>
            {
                o.UseAzureStorage(azurite.ConnectionString, hub);
                o.TimeProvider = clock;
                o.ScheduleTickInterval = TimeSpan.FromMinutes(1);
                o.ListenOn("http://127.0.0.1:0");
                o.LoggerFactory = loggerFactory;
            });
        using var http = new HttpClient { BaseAddress = new Uri(host.Urls.Single()), Timeout = TimeSpan.FromSeconds(15) };

        // Before: the first tick records the schedule and starts (11:55:30, 12:00:30]; three runs are in a step.
        await Poll.UntilAsync("the first schedule tick", () => Task.FromResult(clock.Timers), n => n > 0, TimeSpan.FromSeconds(60));
        var inFlight = new List<string>();
        for (var n = 0; n < 3; n++)
        {
            using var started = await http.PostAsJsonAsync("/api/workflows/in-flight/runs", new { n });
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            inFlight.Add((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!);
        }

        await Poll.UntilAsync("the three runs to be in their step", () => Task.FromResult(steps.InStep.Count), n => n == 3, TimeSpan.FromSeconds(60));

        // Outage: storage stops; the steps finish meanwhile, and three schedule occurrences fall due.
        await azurite.StopAsync();
        steps.Release.TrySetResult();
        foreach (var request in (Func<HttpRequestMessage>[])[
            () => new HttpRequestMessage(HttpMethod.Post, "/api/workflows/in-flight/runs") { Content = JsonContent.Create(new { n = 9 }) },
            () => new HttpRequestMessage(HttpMethod.Get, "/api/runs/" + inFlight[0]),
            () => new HttpRequestMessage(HttpMethod.Get, "/api/runs?workflowId=in-flight")])
        {
            using var message = request();
            using var response = await http.SendAsync(message);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            output.WriteLine($"{message.Method} {message.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("backend_unavailable", body.GetProperty("error").GetProperty("code").GetString());
            Assert.NotNull(response.Headers.RetryAfter);
        }

        for (var minute = 1; minute <= 3; minute++)
        {
            var before = clock.Timers;
            time.Advance(TimeSpan.FromMinutes(1));
            await Poll.UntilAsync($"the schedule tick of minute {minute} of the outage", () => Task.FromResult(clock.Timers), n => n > before, TimeSpan.FromSeconds(120));
        }

        // Recovery: storage is back with its data; the next tick starts what the outage missed.
        await azurite.StartAgainAsync();
        var ticks = clock.Timers;
        time.Advance(TimeSpan.FromMinutes(1));
        await Poll.UntilAsync("the first tick after recovery", () => Task.FromResult(clock.Timers), n => n > ticks, TimeSpan.FromSeconds(120));

        foreach (var runId in inFlight)
        {
            var run = await Poll.RunStatusAsync(host.Client, runId, RunStatus.Completed, timeout: TimeSpan.FromSeconds(180));
            Assert.Equal(inFlight.IndexOf(runId), run.Output.As<int>());
        }

        var expected = Enumerable.Range(-4, 9).Select(m => new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(m)).ToList();
        var runs = await Poll.UntilAsync(
            $"{expected.Count} schedule runs to complete",
            async () => (await host.Client.ListRunsAsync(new RunQuery { WorkflowId = "minutely", PageSize = 1000 })).Runs,
            page => page.Count >= expected.Count && page.All(r => r.Status == RunStatus.Completed),
            TimeSpan.FromSeconds(180),
            page => string.Join(", ", page.Select(r => $"{r.Id} {r.Status}")));
        Assert.Equal(expected, runs.Select(r => Occurrence(r.Id)).Order());
        Assert.Equal(3, (await host.Client.ListRunsAsync(new RunQuery { WorkflowId = "in-flight", PageSize = 1000 })).Runs.Count);
        Assert.All(runs, r => Assert.Equal(1, steps.Runs(r.Id)));
    }

    private static DateTimeOffset Occurrence(string runId) =>
        DateTimeOffset.ParseExact(runId[(runId.LastIndexOf('-') + 1)..], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private sealed class StepLog
    {
        private readonly ConcurrentDictionary<string, int> _ran = new();

        public ConcurrentDictionary<string, bool> InStep { get; } = new();

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Started(string runId) => InStep[runId] = true;

        public void Ran(string runId) => _ran.AddOrUpdate(runId, 1, (_, n) => n + 1);

        public int Runs(string runId) => _ran.GetValueOrDefault(runId);
    }
}

/// <summary>A fact that needs Azurite and an Azurite executable to run a private one (see <see cref="PrivateAzurite"/>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class OutageFactAttribute : FactAttribute
{
    public OutageFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(AzuriteFactAttribute.Variable)))
        {
            Skip = $"Needs Azurite: set {AzuriteFactAttribute.Variable}=UseDevelopmentStorage=true.";
        }
        else if (PrivateAzurite.FindBinary() is null)
        {
            Skip = $"Needs the Azurite executable to run a private Azurite: install it (bash scripts/azurite.sh start) or set {PrivateAzurite.BinaryVariable}.";
        }
    }
}
