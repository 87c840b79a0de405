using System.Text.Json;
using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;

namespace Cronflow.Functions;

/// <summary>The one activity: it runs any step body, branch, error handler or hook that the orchestrator asks for.</summary>
public sealed class CronflowStepFunction(CronflowFunctionsRuntime runtime)
{
    /// <summary>The function (and activity) name.</summary>
    public const string Name = "CronflowStep";

    /// <summary>Runs one step; its exception, if any, becomes the activity's failure details.</summary>
    [Function(Name)]
    public async Task<JsonElement> RunAsync([ActivityTrigger] JsonElement request, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = request.Deserialize<StepRequest>(CronflowJson.Options)
            ?? throw new CronflowException("The step activity received no request.");
        var outcome = await runtime.Executor.ExecuteAsync(step, context.CancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(outcome, CronflowJson.Options);
    }
}
