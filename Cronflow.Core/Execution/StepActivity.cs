using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>The one generic activity: it runs any step body, branch, error handler or hook.</summary>
internal sealed class StepActivity(StepExecutor executor) : TaskActivity<StepRequest, StepOutcome>
{
    /// <summary>The activity name (also the Functions activity's function name).</summary>
    public const string Name = "CronflowStep";

    public override Task<StepOutcome> RunAsync(TaskActivityContext context, StepRequest input) => executor.ExecuteAsync(input);
}
