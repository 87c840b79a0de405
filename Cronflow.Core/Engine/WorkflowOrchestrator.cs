using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>
/// The one generic orchestrator: it interprets any registered workflow definition. Its input names the workflow;
/// sub-orchestrations (for-each chunks, subflows) run through it too.
/// </summary>
internal sealed class WorkflowOrchestrator(WorkflowRegistry registry, IStepOutputStore? store = null, CronflowOptions? options = null) : TaskOrchestrator<RunInput, RunResult>
{
    /// <summary>The orchestration name (also the Functions orchestrator's function name).</summary>
    public const string Name = "CronflowOrchestrator";

    public override Task<RunResult> RunAsync(TaskOrchestrationContext context, RunInput input) =>
        input?.Gate is not null
            ? ConcurrencyGate.RunAsync(context, registry, input)
            : input?.Schedule is not null
            ? Task.FromResult(new RunResult { Status = RunStatus.Completed }) // a schedule record: its input is all it holds
            : new Interpreter(context, registry, input!, store, options?.InlineOutputBytes ?? CronflowOptions.DefaultInlineOutputBytes).RunAsync();
}
