using Azure.Core.Serialization;
using Cronflow;
using Cronflow.Functions;
using Cronflow.Functions.Engine;
using Cronflow.Samples;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

// Orchestration inputs, outputs, custom status and events go through the worker's serializer: use Cronflow's
// JSON conventions, the same as the embedded engine's.
builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(CronflowJson.Options));

builder.Services.AddSampleServices();
builder.Services.AddCronflow(c =>
{
    foreach (var workflow in SampleWorkflows.All.Concat(AppWorkflows.All))
    {
        c.AddWorkflow(workflow);
    }
});
builder.Services.AddCronflowFunctions();

await builder.Build().RunAsync().ConfigureAwait(false);
