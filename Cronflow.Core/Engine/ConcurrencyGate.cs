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

    /// <summary>The gate's answer to a run it queued: it holds the request, the run need not repeat it.</summary>
    public const string QueuedEvent = "cronflow.queued";

    /// <summary>How long a run waits before it repeats a request the gate has not answered; doubled each time.</summary>
    public static readonly TimeSpan RequestInterval = TimeSpan.FromMinutes(1);

    /// <summary>The longest interval between repeats of an unanswered request.</summary>
    public static readonly TimeSpan MaxRequestInterval = TimeSpan.FromHours(1);

    /// <summary>How often a queued run repeats its request (in case the gate was reset); the gate ignores repeats it holds.</summary>
    public static readonly TimeSpan QueuedRequestInterval = TimeSpan.FromDays(1);

    /// <summary>How long a run waits for a slot before it gives up.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(7);

    /// <summary>Messages handled per generation before the gate continues as new, keeping its history small.</summary>
    private const int MessagesPerGeneration = 100;

    /// <summary>The gate's instance id; the separator keeps it out of run listings.</summary>
    public static string InstanceId(string workflowId) => $"cronflow-gate{RunInfoMapper.ChildSeparator}{workflowId}";

    public static RunInput Input(string workflowId, int limit) => new() { WorkflowId = workflowId, Gate = new GateState { Limit = limit } };

    /// <summary>The cap of <paramref name="workflowId"/> in <paramref name="registry"/> (none when it has no cap or is not registered).</summary>
    public static int LimitOf(WorkflowRegistry registry, string workflowId) =>
        registry.TryGet(workflowId, out var definition) ? definition.Concurrency ?? int.MaxValue : int.MaxValue;

    public static async Task<RunResult> RunAsync(TaskOrchestrationContext context, WorkflowRegistry registry, RunInput input)
    {
        var state = input.Gate ?? new GateState();
        if (state.Limit is not { } limit)
        {
            // Started without its cap: take it once, at a generation boundary, so no replay ever reads the definition.
            state.Limit = LimitOf(registry, input.WorkflowId);
            context.ContinueAsNew(new RunInput { WorkflowId = input.WorkflowId, Gate = state }, preserveUnprocessedEvents: true);
            return new RunResult { Status = RunStatus.Running };
        }

        context.SetCustomStatus(state);
        GrantQueued(context, state, limit);
        for (var handled = 0; handled < MessagesPerGeneration; handled++)
        {
            var message = await context.WaitForExternalEvent<GateMessage>(GateEvent);
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

                    // The run stops repeating its request once it knows the gate holds it.
                    context.SendEvent(message.RunId, QueuedEvent, JsonSerializer.SerializeToElement(true));
                    break;
                case GateMessage.Release:
                    state.Running.Remove(message.RunId);
                    state.Queue.Remove(message.RunId);
                    break;
            }

            GrantQueued(context, state, limit);
        }

        // The next generation applies the cap the definition has now (a deploy may have changed it). This generation
        // ends here, in this episode, so the value read never changes a decision this generation replays.
        state.Limit = LimitOf(registry, input.WorkflowId);
        context.ContinueAsNew(new RunInput { WorkflowId = input.WorkflowId, Gate = state }, preserveUnprocessedEvents: true);
        return new RunResult { Status = RunStatus.Running };
    }

    /// <summary>Gives free slots to queued runs, in arrival order.</summary>
    private static void GrantQueued(TaskOrchestrationContext context, GateState state, int limit)
    {
        while (state.Running.Count < limit && state.Queue.Count > 0)
        {
            var next = state.Queue[0];
            state.Queue.RemoveAt(0);
            state.Running.Add(next);
            context.SendEvent(next, SlotEvent, JsonSerializer.SerializeToElement(true));
        }
    }
}
