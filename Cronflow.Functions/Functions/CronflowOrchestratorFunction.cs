using System.Text.Json;
using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Cronflow.Functions;

/// <summary>
/// The one orchestrator: it runs the Cronflow interpreter for whichever registered workflow its input names.
/// Sub-orchestrations (for-each chunks, subflows) are started under the same name and come back here.
/// </summary>
public sealed class CronflowOrchestratorFunction(CronflowFunctionsRuntime runtime)
{
    /// <summary>The function (and orchestration) name.</summary>
    public const string Name = "CronflowOrchestrator";

    /// <summary>Interprets the workflow and returns the run's result as JSON.</summary>
    /// <remarks>Orchestration code: deterministic, and awaits without ConfigureAwait(false).</remarks>
    [Function(Name)]
    public async Task<JsonElement> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Read the input as JSON and convert it with Cronflow's own options, whatever the worker's serializer is.
        var input = context.GetInput<JsonElement?>()?.Deserialize<RunInput>(CronflowJson.Options) ?? new RunInput();
        var result = await runtime.Orchestrator.RunAsync(context, input);
        return JsonSerializer.SerializeToElement(result, CronflowJson.Options);
    }
}
