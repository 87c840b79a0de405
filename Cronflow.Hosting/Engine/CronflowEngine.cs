using Cronflow.Scheduling;
using DurableTask.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cronflow.Hosting;

/// <summary>
/// The embedded engine as a hosted service: the backend, the DurableTask.Core worker running the generic orchestrator
/// and step activity, the client, and the schedule ticker. <c>AddCronflowHost</c> registers it in an application's
/// container, where the host starts and stops it; <see cref="CronflowHost"/> is a small host around the same service.
/// </summary>
internal sealed class CronflowEngine : IHostedService, IAsyncDisposable, IDisposable
{
    private const string HostLoggerCategory = "Cronflow.Host";

    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private Backend? _backend;
    private TaskHubWorker? _worker;
    private EmbeddedCronflowClient? _client;
    private ScheduleTicker? _ticker;
    private volatile EngineState _state;
    private int _disposed;

    public CronflowEngine(IServiceProvider services, CronflowHostOptions options, WorkflowRegistry registry, CronflowOptions cronflowOptions, ILoggerFactory loggerFactory)
    {
        _services = services;
        Options = options;
        Registry = registry;
        CronflowOptions = cronflowOptions;
        _loggerFactory = options.LoggerFactory ?? loggerFactory;
        _logger = _loggerFactory.CreateLogger(HostLoggerCategory);
    }

    /// <summary>Where the engine is in its life.</summary>
    internal enum EngineState
    {
        NotStarted,
        Started,
        Stopped,
    }

    public CronflowHostOptions Options { get; }

    public WorkflowRegistry Registry { get; }

    public CronflowOptions CronflowOptions { get; }

    public ILoggerFactory LoggerFactory => _loggerFactory;

    public EngineState State => _state;

    /// <summary>When the engine started, by <see cref="CronflowHostOptions.TimeProvider"/>.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>Whether runs survive the process (Azure Storage) or not (in memory); false before the engine starts.</summary>
    public bool IsDurable => _backend?.IsDurable ?? false;

    /// <summary>The engine's client; there once the engine has started.</summary>
    public ICronflowClient Client => _client ?? throw new InvalidOperationException(
        "The Cronflow engine has not started yet: ICronflowClient is available once the host has started (after IHost.StartAsync).");

    /// <summary>The schedule ticker, when this host fires schedules.</summary>
    public ScheduleTicker? Ticker => _ticker;

    /// <summary>Asks the backend for a run that does not exist: a round trip to the storage (always answered in memory).</summary>
    public async Task ProbeBackendAsync(CancellationToken cancellationToken)
    {
        var backend = _backend ?? throw new InvalidOperationException("The engine has not started.");
        await backend.Client.GetOrchestrationStateAsync("cronflow-health-probe", allExecutions: false).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the backend (creating an Azure Storage task hub if missing), the worker and the schedule ticker.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state != EngineState.NotStarted)
            {
                throw new InvalidOperationException("The Cronflow engine starts once.");
            }

            try
            {
                await StartCoreAsync().ConfigureAwait(false);
            }
            catch
            {
                await StopCoreAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            StartedAt = Options.TimeProvider.GetUtcNow();
            _state = EngineState.Started;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops the ticker and the engine, waiting at most <see cref="CronflowHostOptions.StopTimeout"/> or until the host's
    /// shutdown timeout (<paramref name="cancellationToken"/>), whichever comes first: when the backend is unreachable
    /// its retries would hold the process; leases left behind expire by themselves.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_state == EngineState.Stopped)
            {
                return;
            }

            await StopCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _lifecycle.Dispose();
    }

    /// <summary>For containers disposed synchronously; the host has stopped the engine before (else this stops it).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task StartCoreAsync()
    {
        Options.Validate();
        _backend = await Backend.CreateAsync(Options, _loggerFactory).ConfigureAwait(false);
        _worker = new TaskHubWorker(_backend.Service, _loggerFactory) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        ShimRegistration.Register(
            _worker,
            _services.GetRequiredService<WorkflowOrchestrator>(),
            _services.GetRequiredService<StepActivity>(),
            _loggerFactory);
        DuplicateResultFilter.Register(_worker, _loggerFactory.CreateLogger(DuplicateResultFilter.LoggerCategory));
        await _worker.StartAsync().ConfigureAwait(false);

        var cancellations = _services.GetRequiredService<RunCancellations>();
        _client = new EmbeddedCronflowClient(_backend.Client, Registry, CronflowOptions, cancellations, _backend.Updates, _services.GetService<IStepOutputStore>());
        cancellations.Watch = _client;
        await _client.EnsureGatesAsync().ConfigureAwait(false);

        var dispatcher = new ScheduleDispatcher(_client, Registry, Options.TimeProvider, logger: _loggerFactory.CreateLogger(Log.SchedulesCategory));
        if (Options.RunSchedules && dispatcher.HasSchedules)
        {
            _ticker = new ScheduleTicker(dispatcher, Options.ScheduleTickInterval, Options.TimeProvider, _loggerFactory.CreateLogger(Log.SchedulesCategory));
            _ticker.Start();
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        _state = EngineState.Stopped;
        if (_ticker is not null)
        {
            await _ticker.DisposeAsync().ConfigureAwait(false);
        }

        if (_worker is not null)
        {
            try
            {
                await _worker.StopAsync(isForced: true).WaitAsync(Options.StopTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                _logger.LogWarning("The engine did not stop within {StopTimeout} or the host's shutdown timeout; the host stops without waiting for it.", Options.StopTimeout);
            }
        }
    }
}
