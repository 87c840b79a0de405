using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cronflow;

/// <summary>
/// The embedded Cronflow engine in a host of its own: the generic orchestrator and step activity on a DurableTask.Core
/// worker, in memory or on Azure Storage (Azurite locally), optionally serving the HTTP API and the run inspector. No
/// Functions host is needed. This is the short form of <c>services.AddCronflowHost(…)</c> in a generic host of its
/// own; with <see cref="CronflowHostOptions.ListenOn"/> it serves <c>MapCronflowApi("/api")</c> and
/// <c>MapCronflowDashboard("/dashboard")</c> on its own listener.
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
    private readonly IHost _host;
    private readonly CronflowEngine _engine;
    private int _disposed;

    private CronflowHost(IHost host, IReadOnlyList<string> urls)
    {
        _host = host;
        _engine = host.Services.GetRequiredService<CronflowEngine>();
        Urls = urls;
    }

    /// <summary>The client that starts and steers runs on this host.</summary>
    public ICronflowClient Client => _engine.Client;

    /// <summary>The host's services (those registered through <see cref="CronflowBuilder.Services"/> included).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The addresses the HTTP API is bound to (empty unless <see cref="CronflowHostOptions.ListenOn"/> was used).</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>Whether runs survive the process (Azure Storage) or not (in memory).</summary>
    public bool IsDurable => _engine.IsDurable;

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

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "Cronflow" });

        // The host of a library: it leaves the process's signals (Ctrl+C, SIGTERM) to the application.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = hostOptions.StopTimeout);
        if (hostOptions.LoggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true }));
        builder.Services.AddCronflowEngine(workflows, hostOptions);
        var host = builder.Build();
        try
        {
            await host.StartAsync().ConfigureAwait(false);
            return new CronflowHost(host, host.Services.GetService<CronflowListener>()?.Urls ?? []);
        }
        catch
        {
            await StopAsync(host).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Stops the HTTP API, the schedule ticker and the engine, waiting at most <see cref="CronflowHostOptions.StopTimeout"/>.
    /// In memory, runs still in flight are lost; on Azure Storage they continue when a host starts again.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await StopAsync(_host).ConfigureAwait(false);
        }
    }

    private static async Task StopAsync(IHost host)
    {
        await host.StopAsync().ConfigureAwait(false);
        if (host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            host.Dispose();
        }
    }

    /// <summary>A host lifetime that waits for nothing and listens to no signal: the embedding application owns them.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
