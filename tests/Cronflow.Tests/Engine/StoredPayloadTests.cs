using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>
/// A run payload over the inline allowance is stored once by the client that starts the run, and steps (in the run,
/// its chunks and its nested loops) receive its reference instead of a copy.
/// </summary>
public sealed class StoredPayloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly string Blob = new('q', 20_000);
    private static readonly string BlobFragment = Blob[..1000];

    [Fact]
    public async Task Step_LastIsStoredPayload_ReadsThePayloadByReference()
    {
        var wf = Workflow.Define("last-is-payload")
            .Step("first", ctx => ctx.Last["marker"].As<string>() + ctx.Last["blob"].As<string>().Length + ctx.Payload["marker"].As<string>());

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("last-is-payload", new { marker = "m", blob = Blob }), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal($"m{Blob.Length}m", run.Output.As<string>());
        Assert.Equal(1, probe!.Scheduled("\"lastIs\":\"payload\""));
        Assert.Equal(1, probe.Scheduled("\"payloadRef\":"));
        Assert.Equal(0, probe.Scheduled(BlobFragment));
    }

    [Fact]
    public async Task Step_RunIdStartsWithBracket_ReadsStoredPayloadAndOutputs()
    {
        // References start with the run id; one that starts with '[' must not be read as a composite reference.
        var wf = Workflow.Define("bracket-run")
            .Step("big", ctx => new { blob = ctx.Payload["blob"].As<string>() + "!" })
            .Parallel(
                new ParallelOptions { Name = "both" },
                ctx => Task.FromResult<object?>(new { blob = ctx.Last["blob"].As<string>() }),
                ctx => Task.FromResult<object?>(new { blob = ctx.Payload["blob"].As<string>() }))
            .Step("sum", ctx => ctx.Last.Items().Sum(v => v["blob"].As<string>().Length) + ctx.Steps["big"].Output["blob"].As<string>().Length);

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf));
        var id = await host.Client.TriggerAsync("bracket-run", new { blob = Blob }, runId: "[bracket]-run");
        var run = await host.Client.WaitForRunAsync(id, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal((Blob.Length + 1) + Blob.Length + (Blob.Length + 1), run.Output.As<int>());
    }

    [Fact]
    public async Task Step_SmallPayload_TravelsInline()
    {
        var wf = Workflow.Define("small-payload").Step("read", ctx => ctx.Payload["x"].As<int>() + 1);

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("small-payload", new { x = 41 }), Wait);

        Assert.Equal(42, run.Output.As<int>());
        Assert.Equal(0, probe!.Scheduled("\"payloadRef\":"));
        Assert.Equal(1, probe.Scheduled("\"payload\":{\"x\":41}"));
    }

    [Fact]
    public async Task Step_InlineOutputBytesMaxValue_PayloadTravelsInline()
    {
        var wf = Workflow.Define("inline-only").Step("read", ctx => ctx.Payload["blob"].As<string>().Length);

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(
            c => c.AddWorkflow(wf).Configure(o => o.InlineOutputBytes = int.MaxValue),
            o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("inline-only", new { blob = Blob }), Wait);

        Assert.Equal(Blob.Length, run.Output.As<int>());
        Assert.Equal(0, probe!.Scheduled("\"payloadRef\":"));
        Assert.Equal(1, probe.Scheduled(BlobFragment));
    }

    [Fact]
    public async Task ForEach_ChunksAndNestedLoopReadStoredPayload_ConditionsAndStepsSeeIt()
    {
        var wf = Workflow.Define("payload-chunks")
            .ForEach(
                "each",
                ctx => Enumerable.Range(0, ctx.Payload["count"].As<int>()),
                (item, body) => body
                    .If("below-limit", ctx => ctx.Last.As<int>() < ctx.Payload["limit"].As<int>())
                        .Step("read", ctx => new { n = ctx.Last.As<int>(), len = ctx.Payload["blob"].As<string>().Length })
                    .EndIf(),
                new ForEachOptions { ChunkSize = 4 })
            .If("go", _ => true)
                .While(
                    "count",
                    ctx => (ctx.Last["n"].As<int?>() ?? 0) < ctx.Payload["loops"].As<int>(),
                    ctx => Task.FromResult(new { n = (ctx.Last["n"].As<int?>() ?? 0) + 1, len = ctx.Payload["blob"].As<string>().Length }))
            .EndIf();

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var runId = await host.Client.TriggerAsync("payload-chunks", new { count = 12, limit = 9, loops = 3, blob = Blob });
        var run = await host.Client.WaitForRunAsync(runId, Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        var each = run.Steps.Single(s => s.Name == "each").Output!.Items().ToList();
        Assert.Equal(12, each.Count);
        for (var i = 0; i < 12; i++)
        {
            if (i < 9)
            {
                Assert.Equal(i, each[i]["n"].As<int>());
                Assert.Equal(Blob.Length, each[i]["len"].As<int>());
            }
            else
            {
                // No branch matched: Last stayed the item.
                Assert.Equal(i, each[i].As<int>());
            }
        }

        Assert.Equal(3, run.Output["n"].As<int>());
        Assert.Equal(Blob.Length, run.Output["len"].As<int>());
        Assert.Contains(probe!.LargestHistories(runId + "~").Keys, id => id.Contains("~loop-", StringComparison.Ordinal));

        // Nine item steps and three loop iterations received the payload's reference, and no step the payload; the
        // chunks and the loop received only the reference too, and each fetched the payload once for its conditions.
        Assert.Equal(12, probe.Scheduled("\"payloadRef\":"));
        Assert.Equal(0, probe.Scheduled(BlobFragment));
        Assert.Equal(3 + 1, probe.Scheduled(StepOutputKeys.ReadPath));
        Assert.True(probe.SentBytes < Blob.Length, $"sent {probe.SentBytes} B");
    }

    [Fact]
    public async Task While_NestedWhoseLastIsStoredPayload_LoopReceivesItByReference()
    {
        var wf = Workflow.Define("nested-payload-loop")
            .If("go", ctx => ctx.Payload["loops"].As<int>() > 0)
                .While(
                    "count",
                    ctx => (ctx.Last["n"].As<int?>() ?? 0) < ctx.Payload["loops"].As<int>(),
                    ctx => Task.FromResult(new { n = (ctx.Last["n"].As<int?>() ?? 0) + 1, first = ctx.Last["first"].As<int?>() ?? ctx.Last["blob"].As<string>().Length }))
            .EndIf();

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("nested-payload-loop", new { loops = 3, blob = Blob }), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(3, run.Output["n"].As<int>());
        Assert.Equal(Blob.Length, run.Output["first"].As<int>());
        Assert.Equal(1, probe!.Scheduled("\"lastRef\":"));
        Assert.Equal(0, probe.Scheduled(BlobFragment));
        Assert.True(probe.SentBytes < Blob.Length, $"sent {probe.SentBytes} B");

        // The loop's condition read Last and the payload, the same stored value: one fetch.
        Assert.Equal(1, probe.Scheduled(StepOutputKeys.ReadPath));
    }

    [Fact]
    public async Task While_ContinuesAsNewWithStoredPayload_LaterIterationsStillReceiveTheReference()
    {
        var wf = Workflow.Define("payload-loop")
            .While(
                "count",
                ctx => (ctx.Last["n"].As<int?>() ?? 0) < ctx.Payload["loops"].As<int>(),
                ctx => Task.FromResult(new { n = (ctx.Last["n"].As<int?>() ?? 0) + 1, len = ctx.Payload["blob"].As<string>().Length }),
                maxIterations: 500);

        EpisodeProbe? probe = null;
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf), o => o.WrapWorkerService = inner => probe = new EpisodeProbe(inner));
        var loops = Interpreter.ContinueAsNewEvery + 20;
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("payload-loop", new { loops, blob = Blob }), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(loops, run.Output["n"].As<int>());
        Assert.Equal(Blob.Length, run.Output["len"].As<int>());
        Assert.Equal(loops, probe!.Scheduled("\"payloadRef\":"));
        Assert.Equal(0, probe.Scheduled(BlobFragment));
    }

    [Fact]
    public async Task Run_StoredPayload_InProcessStoreFreesItWhenTheRunEnds()
    {
        var wf = Workflow.Define("freed")
            .Step("held", ctx => ((InProcessStepOutputStore)ctx.Services.GetRequiredService<IStepOutputStore>()).InstanceCount)
            .Step("read", ctx => ctx.Payload["blob"].As<string>().Length);

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf));
        var store = (InProcessStepOutputStore)host.Services.GetRequiredService<IStepOutputStore>();
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("freed", new { blob = Blob }), Wait);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(1, run.Steps.Single(s => s.Name == "held").Output!.As<int>());
        Assert.Equal(Blob.Length, run.Output.As<int>());
        Assert.Equal(0, store.InstanceCount);
    }

    [Fact]
    public async Task ReplayAsync_RunWithStoredPayload_NewRunReadsTheSamePayload()
    {
        var wf = Workflow.Define("replayed").Step("read", ctx => ctx.Payload["id"].As<string>() + ctx.Payload["blob"].As<string>().Length);

        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(wf));
        var first = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("replayed", new { id = "a", blob = Blob }), Wait);
        var again = await host.Client.WaitForRunAsync(await host.Client.ReplayAsync(first.Id), Wait);

        Assert.Equal($"a{Blob.Length}", first.Output.As<string>());
        Assert.NotEqual(first.Id, again.Id);
        Assert.True(again.Status == RunStatus.Completed, again.Error?.ToString());
        Assert.Equal($"a{Blob.Length}", again.Output.As<string>());
    }

    [Fact]
    public async Task Step_StoredPayloadUnreadable_FailsWithStepOutputUnavailable()
    {
        var wf = Workflow.Define("lost-payload").Step("read", ctx => ctx.Payload["blob"].As<string>().Length);

        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton<IStepOutputStore>(new ForgetfulStore());
            c.AddWorkflow(wf);
        });
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("lost-payload", new { blob = Blob }), Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("read", run.Error!.Step);
        Assert.Equal(typeof(StepOutputUnavailableException).FullName, run.Error.ErrorType);
        Assert.Contains("could not be read: it was lost", run.Error.Message, StringComparison.Ordinal);
    }

    /// <summary>A store that accepts every write and can read nothing back (a blob deleted behind the run's back).</summary>
    private sealed class ForgetfulStore : IStepOutputStore
    {
        public Task<string> PutAsync(string runId, string instanceId, JsonElement output, CancellationToken cancellationToken) =>
            Task.FromResult(StepOutputKeys.New(runId, instanceId));

        public JsonElement Get(string key) => throw new StepOutputUnavailableException(key, "it was lost");

        public void InstanceEnded(string runId, string instanceId)
        {
        }

        public Task DeleteRunAsync(string runId, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
