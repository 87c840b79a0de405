using System.Collections.Concurrent;
using System.Globalization;
using Cronflow.Azurite.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Cronflow.Azurite.Tests;

/// <summary>A schedule fired by two hosts on one task hub (reliability bar R3): exactly one run per occurrence.</summary>
public sealed class ScheduleTests : IAsyncLifetime
{
    /// <summary>How far back a host's ticks look for occurrences not started yet (the dispatcher's default look-back).</summary>
    private static readonly TimeSpan LookBack = TimeSpan.FromMinutes(5);

    private readonly string _hub = Storage.NewTaskHub();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Storage.DeleteTaskHubAsync(_hub);

    [AzuriteFact]
    public async Task OnSchedule_TwoHostsThreeMinutesOfFakeClock_OneRunPerOccurrence()
    {
        var start = new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var executions = new StepExecutions();
        var clocks = new[] { new TickingClock(time), new TickingClock(time) };
        var hosts = new List<CronflowHost>();
        try
        {
            foreach (var clock in clocks)
            {
                hosts.Add(await CronflowHost.StartAsync(
                    c =>
                    {
                        c.Services.AddSingleton(executions);
                        c.AddWorkflow(Workflow.Define("minutely")
                            .OnSchedule("* * * * *")
                            .Step("tick", ctx =>
                            {
                                ctx.Services.GetRequiredService<StepExecutions>().Add(ctx.Run.Id);
                                return ctx.Payload["scheduledFor"].As<string>();
                            }));
                    },
                    o =>
                    {
                        o.UseAzurite(_hub);
                        o.TimeProvider = clock;

                        // One tick per fake minute: each advance of the clock by a minute wakes each ticker exactly once.
                        o.ScheduleTickInterval = TimeSpan.FromMinutes(1);
                    }));
            }

            await WhenEveryHostTickedAsync(clocks, [0, 0]);
            for (var minute = 1; minute <= 3; minute++)
            {
                var before = clocks.Select(c => c.Timers).ToArray();
                time.Advance(TimeSpan.FromMinutes(1));
                await WhenEveryHostTickedAsync(clocks, before);
            }

            // Occurrences in (start - look-back, start] are caught up by the first ticks; then one per advanced minute.
            var expected = Enumerable.Range(-4, 8).Select(m => start.AddMinutes(m)).ToList();
            var client = hosts[0].Client;
            var runs = await Poll.UntilAsync(
                $"{expected.Count} schedule runs to complete",
                async () => (await client.ListRunsAsync(new RunQuery { WorkflowId = "minutely", PageSize = 1000 })).Runs,
                page => page.Count >= expected.Count && page.All(r => r.IsFinished),
                TimeSpan.FromSeconds(90),
                page => string.Join(", ", page.Select(r => $"{r.Id} {r.Status}")));

            Assert.Equal(expected, runs.Select(r => Occurrence(r.Id)).Order());
            Assert.Equal(3, runs.Count(r => Occurrence(r.Id) > start));
            foreach (var run in runs)
            {
                var finished = await client.GetRunAsync(run.Id);
                Assert.Equal(RunStatus.Completed, finished!.Status);
                Assert.Equal(Occurrence(run.Id), DateTimeOffset.Parse(finished.Output.As<string>(), CultureInfo.InvariantCulture));
            }

            Assert.All(runs, r => Assert.Equal(1, executions.Count(r.Id)));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>Waits until each host's ticker has finished a tick since <paramref name="before"/> (it then arms its next timer).</summary>
    private static Task<int[]> WhenEveryHostTickedAsync(TickingClock[] clocks, int[] before) =>
        Poll.UntilAsync(
            "every host to finish a schedule tick",
            () => Task.FromResult(clocks.Select(c => c.Timers).ToArray()),
            now => now.Zip(before).All(p => p.First > p.Second),
            TimeSpan.FromSeconds(60),
            now => string.Join("/", now),
            TimeSpan.FromMilliseconds(20));

    /// <summary>The occurrence a schedule run id names: <c>sched-&lt;workflow&gt;-&lt;hash&gt;-&lt;yyyyMMddTHHmmssZ&gt;</c>.</summary>
    private static DateTimeOffset Occurrence(string runId) =>
        DateTimeOffset.ParseExact(runId[(runId.LastIndexOf('-') + 1)..], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private sealed class StepExecutions
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();

        public void Add(string runId) => _counts.AddOrUpdate(runId, 1, (_, n) => n + 1);

        public int Count(string runId) => _counts.GetValueOrDefault(runId);
    }
}
