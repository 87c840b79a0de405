using System.Collections.Concurrent;
using Cronflow.Azurite.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// A step reads a stored output while storage is down: the read fails visibly (the step fails with
/// StepOutputUnavailableException, or its retry policy runs it again, each attempt recorded), never silently; once
/// storage is back the retried run completes with the right output, and the step that stored the output ran once.
/// Runs on an Azurite of its own (the shared one is never stopped).
/// </summary>
public sealed class UnreadableStoreTests(ITestOutputHelper output)
{
    private const string UnavailableType = "Cronflow.StepOutputUnavailableException";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(180);
    private static readonly string EightKilobytes = new('u', 8 * 1024);

    [OutageFact]
    public async Task Steps_StoreStoppedWhileAStepReadsAnOutput_StepFailsOrRetriesVisiblyAndProducerRunsOnce()
    {
        await using var azurite = await PrivateAzurite.StartAsync();
        var hub = Storage.NewTaskHub();
        var log = new BodyLog();

        // Host A runs the producing steps; the runs then wait for an event.
        string retried;
        string failing;
        await using (var a = await StartHostAsync(azurite, hub, log))
        {
            retried = await a.Client.TriggerAsync("read-retried", null);
            failing = await a.Client.TriggerAsync("read-once", null);
            await Poll.RunStatusAsync(a.Client, retried, RunStatus.Waiting, timeout: Wait);
            await Poll.RunStatusAsync(a.Client, failing, RunStatus.Waiting, timeout: Wait);
        }

        // Host B has never seen the outputs (its read cache is empty): its steps must read them from storage.
        await using var b = await StartHostAsync(azurite, hub, log);
        await b.Client.RaiseEventAsync(retried, "go", null);
        await b.Client.RaiseEventAsync(failing, "go", null);
        await Poll.UntilAsync("both readers to start", () => Task.FromResult(log.Waiting.Count), n => n == 2, Wait);

        // Outage: storage stops, then the readers read; once both reads have ended, storage comes back and the
        // readers return, so their outcome is recorded.
        await azurite.StopAsync();
        log.StorageStopped.TrySetResult();
        await Poll.UntilAsync("both reads to end", () => Task.FromResult(log.Read.Count), n => n == 2, Wait);
        Assert.All(log.Read.Values, succeeded => Assert.False(succeeded));
        await azurite.StartAgainAsync();
        log.StorageBack.TrySetResult();

        var done = await b.Client.WaitForRunAsync(retried, Wait);
        var failed = await b.Client.WaitForRunAsync(failing, Wait);
        output.WriteLine($"{retried}: {done.Status} {done.Error}; {failing}: {failed.Status} {failed.Error}");

        // With a retry policy: the first attempt failed on the unreadable output, the second read it.
        Assert.Equal(RunStatus.Completed, done.Status);
        Assert.Equal(EightKilobytes.Length, done.Output.As<int>());
        var reader = done.Steps.Single(s => s.Name == "reader");
        Assert.Equal(2, reader.Attempts);
        Assert.Equal([UnavailableType, null], reader.Tries!.Select(t => t.Error?.ErrorType));
        Assert.Contains("could not be read", reader.Tries![0].Error!.Message, StringComparison.Ordinal);

        // Without one: the step, and with it the run, failed with the store's error.
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Equal(UnavailableType, failed.Error!.ErrorType);
        Assert.Equal("reader", failed.Error.Step);
        Assert.Equal(1, failed.Steps.Single(s => s.Name == "reader").Attempts);

        // No body ran behind the records' back: each producer once, each reader once per recorded attempt.
        Assert.Equal(1, log.Runs(retried, "produce"));
        Assert.Equal(1, log.Runs(failing, "produce"));
        Assert.Equal(2, log.Runs(retried, "reader"));
        Assert.Equal(1, log.Runs(failing, "reader"));
        Assert.All(new[] { done, failed }, run => Assert.Equal(1, run.Steps.Single(s => s.Name == "produce").Attempts));
    }

    private static Task<CronflowHost> StartHostAsync(PrivateAzurite azurite, string hub, BodyLog log) => CronflowHost.StartAsync(
        c =>
        {
            c.Services.AddSingleton(log);
            c.AddWorkflow(Define("read-retried").Retry(2, Backoff.Fixed(TimeSpan.FromMilliseconds(200))));
            c.AddWorkflow(Define("read-once"));
        },
        o => o.UseAzureStorage(azurite.ConnectionString, hub));

    // Stores an 8 KB output (over the inline allowance), waits for "go", then reads it in the step "reader".
    private static IWorkflowBuilder Define(string id) => Workflow.Define(id)
        .Step("produce", ctx =>
        {
            ctx.Services.GetRequiredService<BodyLog>().Ran(ctx.Run.Id, "produce");
            return new { blob = EightKilobytes };
        })
        .WaitForEvent("go", TimeSpan.FromMinutes(10))
        .Step("reader", async ctx =>
        {
            var log = ctx.Services.GetRequiredService<BodyLog>();
            log.Ran(ctx.Run.Id, "reader");
            if (ctx.Attempt > 1)
            {
                return ctx.Steps["produce"].Output["blob"].As<string>().Length;
            }

            log.Waiting[ctx.Run.Id] = true;
            await log.StorageStopped.Task.WaitAsync(Wait);
            var succeeded = false;
            try
            {
                var length = ctx.Steps["produce"].Output["blob"].As<string>().Length;
                succeeded = true;
                return length;
            }
            finally
            {
                // The read's outcome is reported, and the step's result (the read's error) returned once storage is back.
                log.Read[ctx.Run.Id] = succeeded;
                await log.StorageBack.Task.WaitAsync(Wait);
            }
        });

    /// <summary>What the step bodies did, by run and step, and the test's signals to them (which bodies wait for at most <see cref="Wait"/>).</summary>
    private sealed class BodyLog
    {
        private readonly ConcurrentDictionary<(string Run, string Step), int> _runs = new();

        public ConcurrentDictionary<string, bool> Waiting { get; } = new();

        public ConcurrentDictionary<string, bool> Read { get; } = new();

        public TaskCompletionSource StorageStopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource StorageBack { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Ran(string runId, string step) => _runs.AddOrUpdate((runId, step), 1, (_, n) => n + 1);

        public int Runs(string runId, string step) => _runs.GetValueOrDefault((runId, step));
    }
}
