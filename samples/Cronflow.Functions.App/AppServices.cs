using Cronflow.Functions;
using Cronflow.Samples;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Functions.App;

/// <summary>The app's services: the workflows it serves and the services their steps use; the functions come from Cronflow.Functions.</summary>
internal static class AppServices
{
    /// <summary>
    /// Registers the app. Webhook secrets come from <paramref name="configuration"/> (app settings, or Key Vault
    /// references in them); a missing or short secret stops the app at start rather than serving an open webhook.
    /// Spans and metrics go to Application Insights when <see cref="CronflowFunctionsOptions.ApplicationInsightsSetting"/> is set.
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

        services.AddSampleServices();
        services.AddCronflowFunctions(
            c =>
            {
                foreach (var workflow in SampleWorkflows.All.Concat(AppWorkflows.All(ordersSecret)))
                {
                    c.AddWorkflow(workflow);
                }
            },
            o => o.ApplicationInsightsConnectionString = configuration[CronflowFunctionsOptions.ApplicationInsightsSetting]);
        return services;
    }
}
