using Microsoft.DurableTask;

namespace Cronflow.Benchmarks.Harness;

/// <summary>
/// The floor of Cronflow's side (<c>--floor</c>): for the 3-step sequence and the 10-way fan-out, an orchestrator that
/// only calls Cronflow's step activity, as the hand-written orchestrators call theirs, and returns the last output. It has
/// no interpreter: no step records, no progress, no checks of the history against the definition, no block machinery.
/// Everything around it is Cronflow's own: the client that starts and waits, the run input, the step requests and
/// outcomes, the step activity and the step bodies. What this side costs beyond the hand-written one is what those
/// cost; what a real run costs beyond this side is the interpreter's. Every other workflow runs on the real orchestrator.
/// </summary>
internal sealed class FloorOrchestrator(WorkflowOrchestrator real, WorkflowRegistry registry) : ITaskOrchestrator
{
    public Type InputType => typeof(RunInput);

    public Type OutputType => typeof(RunResult);

    public async Task<object?> RunAsync(TaskOrchestrationContext context, object? input) =>
        input is RunInput { WorkflowId: BenchWorkflows.Sequence3 or BenchWorkflows.FanOut10, Chunk: null, Loop: null, Gate: null, Schedule: null } run
            ? await FloorAsync(context, run)
            : await ((ITaskOrchestrator)real).RunAsync(context, input);

    private async Task<RunResult> FloorAsync(TaskOrchestrationContext context, RunInput input)
    {
        var nodes = registry.Get(input.WorkflowId).Nodes;
        if (nodes is [ParallelNode parallel])
        {
            var calls = new Task<StepOutcome>[parallel.Branches.Count];
            for (var i = 0; i < calls.Length; i++)
            {
                calls[i] = context.CallActivityAsync<StepOutcome>(StepActivity.Name, context.IsReplaying ? null : Request(context, input, parallel.BranchPath(i), parallel.BranchName(i)));
            }

            var outcomes = await Task.WhenAll(calls);
            return new RunResult { Status = RunStatus.Completed, Output = outcomes[^1].Output };
        }

        var last = input.Payload;
        for (var i = 0; i < nodes.Count; i++)
        {
            StepRequest? request = null;
            if (!context.IsReplaying)
            {
                // The first step reads the payload, the others Last: each request carries what its step reads.
                request = Request(context, input, nodes[i].Path, nodes[i].Name);
                request.Last = i == 0 ? null : last;
                request.LastIs = i == 0 ? StepRequest.LastIsPayload : null;
            }

            last = (await context.CallActivityAsync<StepOutcome>(StepActivity.Name, request)).Output;
        }

        return new RunResult { Status = RunStatus.Completed, Output = last };
    }

    private static StepRequest Request(TaskOrchestrationContext context, RunInput input, string path, string name) => new()
    {
        WorkflowId = input.WorkflowId,
        Path = path,
        Name = name,
        Payload = input.Payload,
        RunId = context.InstanceId,
    };
}
