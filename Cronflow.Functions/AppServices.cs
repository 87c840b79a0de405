using Azure.Core.Serialization;
using Cronflow.Functions.Engine;
using Cronflow.Samples;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Cronflow.Functions;

/// <summary>The app's services: the workflows it serves, the services their steps use, and the function adapters.</summary>
internal static class AppServices
{
    /// <summary>
    /// Registers the app. Webhook secrets come from <paramref name="configuration"/> (app settings, or Key Vault
    /// references in them); a missing or short secret stops the app at start rather than serving an open webhook.
    /// </summary>
    public static IServiceCollection AddCronflowApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var ordersSecret = configuration[AppWorkflows.OrdersWebhookSecretSetting];
        if (string.IsNullOrWhiteSpace(ordersSecret) || ordersSecret.Length < AppWorkflows.MinSecretLength)
        {
            throw new InvalidOperationException(
                $"The app setting {AppWorkflows.OrdersWebhookSecretSetting} must hold the signing secret of the webhook /api/webhooks/orders " +
                $"(at least {AppWorkflows.MinSecretLength} characters; a Key Vault reference in production). The app does not serve unsigned webhooks.");
        }

        // Orchestration inputs, outputs, custom status and events go through the worker's serializer: use Cronflow's
        // JSON conventions, the same as the embedded engine's.
        services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(CronflowJson.Options));

        services.AddSampleServices();
        services.AddCronflow(c =>
        {
            foreach (var workflow in SampleWorkflows.All.Concat(AppWorkflows.All(ordersSecret)))
            {
                c.AddWorkflow(workflow);
            }

            // A scaled-out Functions app rarely runs a step on the instance that ran its orchestration episode, so
            // the per-process output cache would miss: copy earlier outputs into every step instead.
            c.Configure(o => o.InlineOutputBytes = int.MaxValue);
        });
        services.AddCronflowFunctions();
        services.AddCronflowTelemetry(configuration);
        return services;
    }

    /// <summary>The app setting holding the Application Insights connection string (set by the Bicep).</summary>
    internal const string ApplicationInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>
    /// OpenTelemetry in the worker: Cronflow's spans and instruments (<see cref="CronflowTelemetry.Name"/>) with the
    /// Functions worker's own, exported to Application Insights when <see cref="ApplicationInsightsSetting"/> is set.
    /// </summary>
    public static IServiceCollection AddCronflowTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connection = configuration[ApplicationInsightsSetting];
        var exportToAzure = !string.IsNullOrWhiteSpace(connection);
        services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing =>
            {
                tracing.AddSource(CronflowTelemetry.Name);
                if (exportToAzure)
                {
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = connection);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(CronflowTelemetry.Name);
                if (exportToAzure)
                {
                    metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = connection);
                }
            });
        return services;
    }
}
