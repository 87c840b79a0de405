using Cronflow;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// A Functions app of its own: the Cronflow functions (orchestrator, step activity, HTTP API, webhooks, schedule
// timer) come from the Cronflow.Functions library; the app only registers its workflows.
var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddCronflowFunctions(
    c => c
        .AddWorkflow(Workflow.Define("greet")
            .Step("hello", ctx => new { greeting = $"Hello, {ctx.Payload["name"].As<string>()}!" }))
        .AddWorkflow(Workflow.Define("nightly-report")
            .OnSchedule("0 2 * * *")
            .Step("report", ctx => new { scheduledFor = ctx.Payload["scheduledFor"].As<string>() })),
    o => o.ApplicationInsightsConnectionString = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
await builder.Build().RunAsync().ConfigureAwait(false);
