using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cronflow;

/// <summary>Runs the Cronflow engine inside an application's generic host or ASP.NET Core app.</summary>
public static class CronflowHostServiceCollectionExtensions
{
    /// <summary>
    /// Registers the workflows and the embedded engine as an <see cref="IHostedService"/>: the host starts it with the
    /// application and stops it within the host's shutdown timeout. <see cref="ICronflowClient"/> is registered too
    /// (resolvable once the host has started), and step bodies resolve their services from this container.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="workflows">Adds workflows (and services) to the application.</param>
    /// <param name="options">
    /// Chooses the backend and concurrency. Default: in memory. In an ASP.NET Core application, serve the HTTP API with
    /// <c>app.MapCronflowApi("/api")</c>; <see cref="CronflowHostOptions.ListenOn"/> starts the local host's own listener
    /// beside the engine instead (for a worker service or a console app), with the local host's rules: loopback only
    /// without <see cref="CronflowHostOptions.ApiKey"/>.
    /// </param>
    /// <exception cref="WorkflowDefinitionException">A definition is invalid; every problem is listed.</exception>
    public static IServiceCollection AddCronflowHost(this IServiceCollection services, Action<CronflowBuilder> workflows, Action<CronflowHostOptions>? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(workflows);
        var hostOptions = new CronflowHostOptions();
        options?.Invoke(hostOptions);
        return services.AddCronflowEngine(workflows, hostOptions);
    }

    /// <summary>The registration behind <see cref="AddCronflowHost(IServiceCollection, Action{CronflowBuilder}, Action{CronflowHostOptions})"/> and <see cref="CronflowHost.StartAsync"/>.</summary>
    internal static IServiceCollection AddCronflowEngine(this IServiceCollection services, Action<CronflowBuilder> workflows, CronflowHostOptions hostOptions)
    {
        hostOptions.Validate();
        if (services.Any(d => d.ServiceType == typeof(CronflowEngine)))
        {
            throw new InvalidOperationException("AddCronflowHost is called once per application: register every workflow in that one call.");
        }

        services.AddLogging();
        services.AddStepOutputStore(hostOptions);
        services.AddCronflow(workflows);
        services.AddSingleton(provider => new CronflowEngine(
            provider,
            hostOptions,
            provider.GetRequiredService<WorkflowRegistry>(),
            provider.GetRequiredService<CronflowOptions>(),
            provider.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(provider => provider.GetRequiredService<CronflowEngine>());
        services.AddSingleton(provider => provider.GetRequiredService<CronflowEngine>().Client);
        if (hostOptions.ListenUrls.Count > 0)
        {
            services.AddSingleton(new CronflowListener());
            services.AddSingleton(provider => new LocalHttpServer(provider.GetRequiredService<CronflowEngine>(), provider.GetRequiredService<CronflowListener>()));
            services.AddHostedService(provider => provider.GetRequiredService<LocalHttpServer>());
        }

        return services;
    }

    /// <summary>
    /// The output store of the host's engine: a blob container next to the task hub on Azure Storage, where every host
    /// on the task hub reads what any of them stored; in process in memory, where every step runs in this process.
    /// </summary>
    internal static IServiceCollection AddStepOutputStore(this IServiceCollection services, CronflowHostOptions hostOptions)
    {
        if (hostOptions.AzureStorage is { } azure)
        {
            // Hosts on one task hub share its storage account: an output one of them stored, any of them reads.
            services.TryAddSingleton<IStepOutputStore>(provider => BlobStepOutputStore.Create(
                azure.ConnectionString, BlobStepOutputStore.ContainerName(azure.TaskHub), provider.GetRequiredService<ILoggerFactory>())!);
        }
        else
        {
            // In memory, every step runs in this process: its output store is too.
            services.TryAddSingleton<IStepOutputStore>(new InProcessStepOutputStore());
        }

        return services;
    }
}
