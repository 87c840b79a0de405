using Cronflow.Hosting;
using DurableTask.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow;

/// <summary>
/// The embedded Cronflow engine: the generic orchestrator and step activity on a DurableTask.Core worker, in memory
/// or on Azure Storage (Azurite locally), optionally serving the HTTP API. No Functions host is needed.
/// </summary>
/// <example>
/// <code>
/// await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(orders));
/// var runId = await host.Client.TriggerAsync("orders", new { orderId = "A-1" });
/// var run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
/// </code>
/// </example>
public sealed class CronflowHost : IAsyncDisposable
{
    private readonly TaskHubWorker _worker;
    private readonly Backend _backend;
    private readonly ServiceProvider _services;
    private int _disposed;

    private CronflowHost(ServiceProvider services, TaskHubWorker worker, Backend backend, ICronflowClient client)
    {
        _services = services;
        _worker = worker;
        _backend = backend;
        Client = client;
    }

    /// <summary>The client that starts and steers runs on this host.</summary>
    public ICronflowClient Client { get; }

    /// <summary>The host's services (those registered through <see cref="CronflowBuilder.Services"/> included).</summary>
    public IServiceProvider Services => _services;

    /// <summary>The addresses the HTTP API is bound to (empty unless <see cref="CronflowHostOptions.ListenOn"/> was used).</summary>
    public IReadOnlyList<string> Urls { get; private set; } = [];

    /// <summary>Whether runs survive the process (Azure Storage) or not (in memory).</summary>
    public bool IsDurable => _backend.IsDurable;

    /// <summary>Registers the workflows, starts the engine, and returns once it accepts runs.</summary>
    /// <param name="workflows">Adds workflows (and services) to the host.</param>
    /// <param name="options">Chooses the backend, the listener and concurrency. Default: in memory, no HTTP.</param>
    /// <exception cref="WorkflowDefinitionException">A definition is invalid; every problem is listed.</exception>
    public static async Task<CronflowHost> StartAsync(Action<CronflowBuilder> workflows, Action<CronflowHostOptions>? options = null)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        var hostOptions = new CronflowHostOptions();
        options?.Invoke(hostOptions);
        hostOptions.Validate();

        var loggerFactory = hostOptions.LoggerFactory ?? NullLoggerFactory.Instance;
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddCronflow(workflows);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });

        Backend? backend = null;
        TaskHubWorker? worker = null;
        try
        {
            backend = await Backend.CreateAsync(hostOptions, loggerFactory).ConfigureAwait(false);
            worker = new TaskHubWorker(backend.Service, loggerFactory) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
            ShimRegistration.Register(
                worker,
                provider.GetRequiredService<WorkflowOrchestrator>(),
                provider.GetRequiredService<StepActivity>(),
                loggerFactory);
            await worker.StartAsync().ConfigureAwait(false);

            var client = new EmbeddedCronflowClient(
                backend.Client,
                provider.GetRequiredService<WorkflowRegistry>(),
                provider.GetRequiredService<CronflowOptions>(),
                provider.GetRequiredService<RunCancellations>());
            return new CronflowHost(provider, worker, backend, client);
        }
        catch
        {
            if (worker is not null)
            {
                await worker.StopAsync(isForced: true).ConfigureAwait(false);
            }

            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the engine. In memory, runs still in flight are lost; on Azure Storage they continue when a host starts again.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _worker.StopAsync(isForced: true).ConfigureAwait(false);
        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
