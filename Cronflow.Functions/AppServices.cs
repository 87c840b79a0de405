using Azure.Core.Serialization;
using Cronflow.Functions.Engine;
using Cronflow.Samples;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Functions;

/// <summary>The app's services: the workflows it serves, the services their steps use, and the function adapters.</summary>
internal static class AppServices
{
    public static IServiceCollection AddCronflowApp(this IServiceCollection services)
    {
        // Orchestration inputs, outputs, custom status and events go through the worker's serializer: use Cronflow's
        // JSON conventions, the same as the embedded engine's.
        services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(CronflowJson.Options));

        services.AddSampleServices();
        services.AddCronflow(c =>
        {
            foreach (var workflow in SampleWorkflows.All.Concat(AppWorkflows.All))
            {
                c.AddWorkflow(workflow);
            }

            // A scaled-out Functions app rarely runs a step on the instance that ran its orchestration episode, so
            // the per-process output cache would miss: copy earlier outputs into every step instead.
            c.Configure(o => o.InlineOutputBytes = int.MaxValue);
        });
        services.AddCronflowFunctions();
        return services;
    }
}
