using Cronflow.Hosting;
using Cronflow.Http;
using Cronflow.Scheduling;
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
    private const string HostLoggerCategory = "Cronflow.Host";

    private readonly TaskHubWorker _worker;
    private readonly Backend _backend;
    private readonly ServiceProvider _services;
    private readonly TimeSpan _stopTimeout;
    private readonly ILogger _logger;
    private LocalHttpServer? _http;
    private ScheduleTicker? _ticker;
    private int _disposed;

    private CronflowHost(ServiceProvider services, TaskHubWorker worker, Backend backend, ICronflowClient client, TimeSpan stopTimeout, ILogger logger)
    {
        _services = services;
        _worker = worker;
        _backend = backend;
        Client = client;
        _stopTimeout = stopTimeout;
        _logger = logger;
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
        CronflowHost? host = null;
        try
        {
            backend = await Backend.CreateAsync(hostOptions, loggerFactory).ConfigureAwait(false);
            worker = new TaskHubWorker(backend.Service, loggerFactory) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
            ShimRegistration.Register(
                worker,
                provider.GetRequiredService<WorkflowOrchestrator>(),
                provider.GetRequiredService<StepActivity>(),
                loggerFactory);
            DuplicateResultFilter.Register(worker, loggerFactory.CreateLogger(DuplicateResultFilter.LoggerCategory));
            await worker.StartAsync().ConfigureAwait(false);

            var registry = provider.GetRequiredService<WorkflowRegistry>();
            var client = new EmbeddedCronflowClient(
                backend.Client,
                registry,
                provider.GetRequiredService<CronflowOptions>(),
                provider.GetRequiredService<RunCancellations>(),
                backend.Updates);
            provider.GetRequiredService<RunCancellations>().Watch = client;
            host = new CronflowHost(provider, worker, backend, client, hostOptions.StopTimeout, loggerFactory.CreateLogger(HostLoggerCategory));
            await client.EnsureGatesAsync().ConfigureAwait(false);

            var dispatcher = new ScheduleDispatcher(client, registry, hostOptions.TimeProvider, logger: loggerFactory.CreateLogger(Log.SchedulesCategory));
            if (hostOptions.RunSchedules && dispatcher.HasSchedules)
            {
                host._ticker = new ScheduleTicker(dispatcher, hostOptions.ScheduleTickInterval, hostOptions.TimeProvider, loggerFactory.CreateLogger(Log.SchedulesCategory));
                host._ticker.Start();
            }

            if (hostOptions.ListenUrls.Count > 0)
            {
                var api = new CronflowHttpApi(client, registry, provider.GetRequiredService<CronflowOptions>(), hostOptions.TimeProvider, loggerFactory.CreateLogger(Log.HttpCategory));
                var dashboard = new Dashboard.CronflowDashboard(client, registry, hostOptions.TimeProvider, hostOptions.ApiKey, loggerFactory.CreateLogger(Log.DashboardCategory));
                host._http = await LocalHttpServer.StartAsync(api, dashboard, hostOptions, loggerFactory).ConfigureAwait(false);
                host.Urls = host._http.Urls;
            }

            return host;
        }
        catch
        {
            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                if (worker is not null)
                {
                    await StopWorkerAsync(worker, hostOptions.StopTimeout, loggerFactory.CreateLogger(HostLoggerCategory)).ConfigureAwait(false);
                }

                await provider.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Stops the HTTP API, the schedule ticker and the engine. In memory, runs still in flight are lost; on Azure Storage they continue when a host starts again.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_http is not null)
        {
            await _http.DisposeAsync().ConfigureAwait(false);
        }

        if (_ticker is not null)
        {
            await _ticker.DisposeAsync().ConfigureAwait(false);
        }

        await StopWorkerAsync(_worker, _stopTimeout, _logger).ConfigureAwait(false);
        await _services.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the engine, waiting at most <paramref name="timeout"/>: when the backend is unreachable its retries would
    /// hold the process; leases left behind expire by themselves.
    /// </summary>
    private static async Task StopWorkerAsync(TaskHubWorker worker, TimeSpan timeout, ILogger logger)
    {
        try
        {
            await worker.StopAsync(isForced: true).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("The engine did not stop within {StopTimeout}; the host stops without waiting for it.", timeout);
        }
    }
}
