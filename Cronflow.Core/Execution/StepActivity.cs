using System.Text.Json;
using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>The one generic activity: it runs any step body, branch, error handler or hook.</summary>
internal sealed class StepActivity(StepExecutor executor) : TaskActivity<StepRequest, JsonElement?>
{
    /// <summary>The activity name (also the Functions activity's function name).</summary>
    public const string Name = "CronflowStep";

    public override Task<JsonElement?> RunAsync(TaskActivityContext context, StepRequest input) => executor.ExecuteAsync(input);
}
