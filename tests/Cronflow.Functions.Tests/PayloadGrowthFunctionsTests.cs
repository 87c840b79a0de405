using System.Text;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Functions.Tests;

/// <summary>Payload growth (P7) under the Functions library's settings, through its orchestrator and activity functions.</summary>
public sealed class PayloadGrowthFunctionsTests
{
    private static readonly string Kilobyte = new('x', 1000);

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
