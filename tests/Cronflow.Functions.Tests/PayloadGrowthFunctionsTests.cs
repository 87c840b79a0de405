using System.Text;
using System.Text.Json;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Functions.Tests;

/// <summary>Payload growth (P7) under the Functions library's settings, through its orchestrator and activity functions.</summary>
public sealed class PayloadGrowthFunctionsTests
{
    private static readonly string Kilobyte = new('x', 1000);
    private static readonly string HundredKilobytes = new('b', 100_000);

    [Fact]
    public async Task RunAsync_FiftyKilobyteOutputs_SendAtMostThreeTimesTheOutputs()
    {
        var wf = Workflow.Define("p7-steps");
        for (var i = 0; i < 50; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", _ => new { i = index, blob = Kilobyte });
        }

        // The app's blob container, in memory: the library's defaults otherwise (inline allowance, orchestrator, activity).
        await using var functions = new FunctionsTestHost(
            workflows: c => c.AddWorkflow(wf),
            configureServices: s => s.AddSingleton<IStepOutputStore>(new InProcessStepOutputStore()));
        SentBytesProbe? probe = null;
        await using var engine = await EmbeddedFunctionsEngine.StartAsync(functions, inner => probe = new SentBytesProbe(inner));

        var run = await engine.RunAsync(functions, "p7-steps", null);

        Assert.Equal(RunStatus.Completed, run.Status);
        var outputs = run.Steps.Sum(s => s.Output is { IsNull: false } output ? Encoding.UTF8.GetByteCount(output.ToString()) : 0);
        Assert.True(probe!.SentBytes <= 3 * outputs, $"sent {probe.SentBytes} B for {outputs} B of outputs");
    }

    [Fact]
    public async Task TriggerAsync_HundredKilobytePayloadThroughTheFunctionsClient_StoredOnceAndFiftyStepsReadIt()
    {
        var wf = Workflow.Define("p7-payload");
        for (var i = 0; i < 50; i++)
        {
            var index = i;
            wf = wf.Step($"s{index}", ctx => ctx.Payload["field"].As<string>() + index + ":" + ctx.Payload["blob"].As<string>().Length);
        }

        var store = new InProcessStepOutputStore();
        await using var functions = new FunctionsTestHost(
            workflows: c => c.AddWorkflow(wf),
            configureServices: s => s.AddSingleton<IStepOutputStore>(store));
        SentBytesProbe? probe = null;
        await using var engine = await EmbeddedFunctionsEngine.StartAsync(functions, inner => probe = new SentBytesProbe(inner));
        var payload = new { field = "f", blob = HundredKilobytes };

        var runId = await functions.Runtime.CreateClient(functions.Client.Object).TriggerAsync("p7-payload", payload);

        // The client stored the payload below the run, and started the run with the value and its reference.
        var (_, instanceId, started) = Assert.Single(functions.Started);
        Assert.Equal(runId, instanceId);
        var input = started.Deserialize<RunInput>(CronflowJson.Options)!;
        Assert.StartsWith(runId + "/", input.PayloadKey, StringComparison.Ordinal);
        Assert.Equal(HundredKilobytes, FlowValue.FromOwned(input.Payload)["blob"].As<string>());
        Assert.Equal(1, store.InstanceCount);

        var run = await engine.RunAsync(instanceId, input);

        Assert.True(run.Status == RunStatus.Completed, run.Error?.ToString());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"f{i}:{HundredKilobytes.Length}"), run.Steps.Select(s => s.Output!.As<string>()));
        var payloadBytes = Encoding.UTF8.GetByteCount(FlowValue.From(payload).ToString());
        Assert.True(probe!.SentBytes <= 2 * payloadBytes, $"sent {probe.SentBytes} B for a payload of {payloadBytes} B");

        // The run's end freed it.
        Assert.Equal(0, store.InstanceCount);
    }

    /// <summary>Counts the bytes of activity and sub-orchestration inputs that committed episodes send.</summary>
    private sealed class SentBytesProbe(IOrchestrationService inner) : Hosting.DelegatingOrchestrationService(inner)
    {
        private long _sent;

        public long SentBytes => Interlocked.Read(ref _sent);

        public override Task CompleteTaskOrchestrationWorkItemAsync(
            TaskOrchestrationWorkItem workItem,
            OrchestrationRuntimeState newOrchestrationRuntimeState,
            IList<TaskMessage> outboundMessages,
            IList<TaskMessage> orchestratorMessages,
            IList<TaskMessage> timerMessages,
            TaskMessage continuedAsNewMessage,
            OrchestrationState orchestrationState)
        {
            foreach (var message in outboundMessages.Concat(orchestratorMessages))
            {
                var input = message.Event switch
                {
                    TaskScheduledEvent scheduled => scheduled.Input,
                    ExecutionStartedEvent started => started.Input,
                    _ => null,
                };
                Interlocked.Add(ref _sent, Encoding.UTF8.GetByteCount(input ?? ""));
            }

            return base.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
        }
    }
}
