using System.Text.Json;
using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>
/// The concurrency gate of a workflow with <see cref="WorkflowOptions.Concurrency"/>: one long-lived orchestration per
/// workflow (run by the same generic orchestrator) that grants run slots in arrival order. Runs ask for a slot when
/// they start and give it back when they end; waiting runs stay durable, across hosts and restarts.
/// </summary>
internal static class ConcurrencyGate
{
    public const string GateEvent = "cronflow.gate";
    public const string SlotEvent = "cronflow.slot";

    /// <summary>How often a waiting run repeats its request for a slot.</summary>
    public static readonly TimeSpan RequestInterval = TimeSpan.FromMinutes(1);

    /// <summary>How many times a run asks before it gives up (a week of waiting).</summary>
    public const int MaxRequestRounds = 7 * 24 * 60;

    /// <summary>Messages handled per generation before the gate continues as new, keeping its history small.</summary>
    private const int MessagesPerGeneration = 100;

    /// <summary>The gate's instance id; the separator keeps it out of run listings.</summary>
    public static string InstanceId(string workflowId) => $"cronflow-gate{RunInfoMapper.ChildSeparator}{workflowId}";

    public static RunInput Input(string workflowId) => new() { WorkflowId = workflowId, Gate = new GateState() };

    /// <summary>
    /// Makes sure the gate of <paramref name="workflowId"/> is running (clients call this before starting runs of a
    /// workflow with a concurrency cap). <paramref name="getState"/> reads an instance's state (null when absent);
    /// <paramref name="start"/> starts the gate, tolerating a concurrent start of the same id.
    /// </summary>
    public static async Task EnsureRunningAsync(string workflowId, Func<string, Task<InstanceState?>> getState, Func<string, RunInput, Task> start)
    {
        var id = InstanceId(workflowId);
        if (await getState(id).ConfigureAwait(false) is InstanceState.Running or InstanceState.Pending or InstanceState.Suspended)
        {
            return;
        }

        await start(id, Input(workflowId)).ConfigureAwait(false);
    }

    public static async Task<RunResult> RunAsync(TaskOrchestrationContext context, WorkflowRegistry registry, RunInput input)
    {
        var state = input.Gate ?? new GateState();
        context.SetCustomStatus(state);
        for (var handled = 0; handled < MessagesPerGeneration; handled++)
        {
            var message = await context.WaitForExternalEvent<GateMessage>(GateEvent);
            var limit = registry.TryGet(input.WorkflowId, out var definition) ? definition.Concurrency ?? int.MaxValue : int.MaxValue;
            switch (message.Op)
            {
                case GateMessage.Acquire when state.Running.Contains(message.RunId):
                    // A repeated request (the run replayed or restarted): it holds its slot already.
                    context.SendEvent(message.RunId, SlotEvent, JsonSerializer.SerializeToElement(true));
                    break;
                case GateMessage.Acquire when state.Running.Count < limit:
                    state.Running.Add(message.RunId);
                    context.SendEvent(message.RunId, SlotEvent, JsonSerializer.SerializeToElement(true));
                    break;
                case GateMessage.Acquire:
                    if (!state.Queue.Contains(message.RunId))
                    {
                        state.Queue.Add(message.RunId);
                    }

                    break;
                case GateMessage.Release:
                    state.Running.Remove(message.RunId);
                    state.Queue.Remove(message.RunId);
                    break;
            }

            while (state.Running.Count < limit && state.Queue.Count > 0)
            {
                var next = state.Queue[0];
                state.Queue.RemoveAt(0);
                state.Running.Add(next);
                context.SendEvent(next, SlotEvent, JsonSerializer.SerializeToElement(true));
            }
        }

        context.ContinueAsNew(new RunInput { WorkflowId = input.WorkflowId, Gate = state }, preserveUnprocessedEvents: true);
        return new RunResult { Status = RunStatus.Running };
    }
}
