using Azure.Core;
using Azure.Core.Serialization;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Monitor.OpenTelemetry.Exporter;
using Cronflow.Functions;
using Cronflow.Functions.Engine;
using Cronflow.Scheduling;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Cronflow;

/// <summary>Registers Cronflow in an Azure Functions app (isolated worker).</summary>
public static class CronflowFunctionsServiceCollectionExtensions
{
    /// <summary>The app setting with the storage account of the app (and of its task hub).</summary>
    internal const string StorageSetting = "AzureWebJobsStorage";

    /// <summary>The blob container of stored step outputs in that account.</summary>
    internal const string StepOutputContainer = "cronflow-stepoutputs";

    /// <summary>
    /// Registers the workflows that <paramref name="configure"/> adds and everything the Cronflow functions of this
    /// library use: the orchestrator <c>CronflowOrchestrator</c>, the activity <c>CronflowStep</c>, the HTTP API under
    /// <c>/api</c>, the webhooks, the dashboard and the schedule timer <c>CronflowScheduleTick</c>. The Functions worker
    /// SDK of the app finds those functions in this assembly when the app builds; call this once in <c>Program.cs</c>.
    /// </summary>
    /// <param name="services">The app's services (<c>builder.Services</c> of <c>FunctionsApplication.CreateBuilder</c>).</param>
    /// <param name="configure">Adds the workflows (<see cref="CronflowBuilder.AddWorkflow(IWorkflowBuilder)"/>) and sets Cronflow's options.</param>
    /// <param name="options">Sets the worker options (telemetry).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddCronflowFunctions(
        this IServiceCollection services, Action<CronflowBuilder> configure, Action<CronflowFunctionsOptions>? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var functionsOptions = new CronflowFunctionsOptions();
        options?.Invoke(functionsOptions);

        // Orchestration inputs, outputs, custom status and events go through the worker's serializer: use Cronflow's
        // JSON conventions, the same as the embedded engine's.
        services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(CronflowJson.Options));
        // Outputs too large to travel inline are stored in the app's storage account (AzureWebJobsStorage), where every
        // instance of a scaled-out app reads them.
        services.TryAddSingleton<IStepOutputStore>(provider => CreateStepOutputStore(
            provider.GetService<IConfiguration>(), provider.GetRequiredService<ILoggerFactory>())!);
        services.AddCronflow(configure);
        services.AddCronflowFunctionsRuntime();
        if (functionsOptions.UseOpenTelemetry)
        {
            services.AddCronflowOpenTelemetry(functionsOptions.ApplicationInsightsConnectionString);
        }

        return services;
    }

    /// <summary>
    /// The app's output store: the blob container <see cref="StepOutputContainer"/> in the <c>AzureWebJobsStorage</c>
    /// account, reached with its connection string, or with an identity-based connection as the Functions host reads it
    /// (<c>AzureWebJobsStorage__accountName</c> or <c>__blobServiceUri</c>; the app's managed identity when
    /// <c>__credential</c> is <c>managedidentity</c>, with <c>__clientId</c> for a user-assigned one, otherwise
    /// <see cref="DefaultAzureCredential"/>). Null when the setting is absent: every output then travels inline.
    /// </summary>
    internal static BlobStepOutputStore? CreateStepOutputStore(IConfiguration? configuration, ILoggerFactory loggers)
    {
        var storage = configuration?.GetSection(StorageSetting);
        if (storage is null)
        {
            return null;
        }

        if (!string.IsNullOrWhiteSpace(storage.Value))
        {
            return BlobStepOutputStore.Create(storage.Value, StepOutputContainer, loggers);
        }

        var serviceUri = storage["blobServiceUri"] is { Length: > 0 } uri
            ? new Uri(uri)
            : storage["accountName"] is { Length: > 0 } account
            ? new Uri($"https://{account}.blob.core.windows.net")
            : null;
        if (serviceUri is null)
        {
            return null;
        }

        TokenCredential credential = string.Equals(storage["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(storage["clientId"] is { Length: > 0 } clientId ? ManagedIdentityId.FromUserAssignedClientId(clientId) : ManagedIdentityId.SystemAssigned)
            : new DefaultAzureCredential();
        var container = new BlobServiceClient(serviceUri, credential).GetBlobContainerClient(StepOutputContainer);
        return new BlobStepOutputStore(container, BlobStepOutputStore.DefaultCacheBytes, loggers.CreateLogger<BlobStepOutputStore>());
    }

    /// <summary>Registers what the function classes use. Call after <see cref="CronflowServiceCollectionExtensions.AddCronflow"/>.</summary>
    internal static IServiceCollection AddCronflowFunctionsRuntime(this IServiceCollection services, Action<ScheduleOptions>? schedules = null)
    {
        var scheduleOptions = new ScheduleOptions();
        schedules?.Invoke(scheduleOptions);
        scheduleOptions.Validate();
        services.AddSingleton(sp => new CronflowFunctionsRuntime(sp, scheduleOptions));
        return services;
    }

    /// <summary>
    /// OpenTelemetry in the worker: Cronflow's spans and instruments with the Functions worker's own, exported to
    /// Application Insights when <paramref name="applicationInsights"/> is set.
    /// </summary>
    private static void AddCronflowOpenTelemetry(this IServiceCollection services, string? applicationInsights)
    {
        var exportToAzure = !string.IsNullOrWhiteSpace(applicationInsights);
        services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing =>
            {
                tracing.AddSource(CronflowTelemetry.Name);
                if (exportToAzure)
                {
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = applicationInsights);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(CronflowTelemetry.Name);
                if (exportToAzure)
                {
                    metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = applicationInsights);
                }
            });
    }
}
