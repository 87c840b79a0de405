using System.Text.Json;
using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Cronflow.Functions;

/// <summary>The one activity: it runs any step body, branch, error handler or hook that the orchestrator asks for.</summary>
public sealed class CronflowStepFunction(CronflowFunctionsRuntime runtime)
{
    /// <summary>The function (and activity) name.</summary>
    public const string Name = "CronflowStep";

    /// <summary>Runs one step; its exception, if any, becomes the activity's failure details.</summary>
    /// <param name="request">The step request.</param>
    /// <param name="client">
    /// The task hub's client: a body that reads its <c>CancellationToken</c> has it fire when its run is cancelled or the
    /// step abandoned, whichever instance decided it (checked every <c>CronflowOptions.CancellationCheckInterval</c>).
    /// </param>
    /// <param name="context">The invocation.</param>
    [Function(Name)]
    public async Task<JsonElement> RunAsync([ActivityTrigger] JsonElement request, [DurableClient] DurableTaskClient? client, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = request.Deserialize<StepRequest>(CronflowJson.Options)
            ?? throw new CronflowException("The step activity received no request.");
        var watch = client is null ? null : runtime.CreateClient(client);
        var outcome = await runtime.Executor.ExecuteAsync(step, watch, context.CancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(outcome, CronflowJson.Options);
    }
}
