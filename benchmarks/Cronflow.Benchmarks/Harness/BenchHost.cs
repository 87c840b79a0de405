using System.Diagnostics;
using Cronflow.Hosting;
using DurableTask.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow.Benchmarks.Harness;

/// <summary>Which engine a host runs on.</summary>
internal enum Engine
{
    InMemory,
    Azurite,
}

/// <summary>
/// One DurableTask.Core worker hosting both sides of every comparison, built the way <see cref="CronflowHost"/> builds
/// its own: the same backend (<see cref="Backend"/>, with the same slot limits), the same shims and data converter for
/// Cronflow's generic orchestrator and step activity, and next to them the hand-written orchestrators and activities
/// under their own names. Both sides share the worker, the dispatchers and the commit observer.
/// </summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly TaskHubWorker _worker;
    private readonly Backend _backend;
    private readonly string? _connectionString;
    private readonly int _partitions;
    private int _disposed;

    private BenchHost(ServiceProvider services, TaskHubWorker worker, Backend backend, TrackingOrchestrationService tracker, string? taskHub, string? connectionString = null, int partitions = 0)
    {
        _connectionString = connectionString;
        _partitions = partitions;
        _services = services;
        _worker = worker;
        _backend = backend;
        Tracker = tracker;
        TaskHub = taskHub;
        var registry = services.GetRequiredService<WorkflowRegistry>();
        Cronflow = new EmbeddedCronflowClient(
            backend.Client,
            registry,
            services.GetRequiredService<CronflowOptions>(),
            services.GetRequiredService<RunCancellations>(),
            backend.Updates,
            services.GetService<IStepOutputStore>());
        Raw = new TaskHubClient(backend.Client, StjDataConverter.Instance);
    }

    /// <summary>The Cronflow client, exactly as <see cref="CronflowHost.Client"/>.</summary>
    public EmbeddedCronflowClient Cronflow { get; }

    /// <summary>A plain DurableTask.Core client for the hand-written orchestrators (same service, same converter).</summary>
    public TaskHubClient Raw { get; }

    /// <summary>Observes commits of both sides.</summary>
    public TrackingOrchestrationService Tracker { get; }

    /// <summary>The backend's client side (history, purge).</summary>
    public IOrchestrationServiceClient ServiceClient => _backend.Client;

    public IServiceProvider Services => _services;

    public string? TaskHub { get; }

    public bool IsDurable => _backend.IsDurable;

    /// <summary>Starts a host on <paramref name="engine"/>; on Azurite, <paramref name="taskHub"/> names a task hub of its own.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="taskHub">The task hub (Azurite only).</param>
    /// <param name="connectionString">The storage connection string (Azurite only).</param>
    /// <param name="visibilityTimeout">Overrides the host's message visibility timeout (Azurite only).</param>
    /// <param name="loggerFactory">Where the engine and the backend log (default: nowhere).</param>
    /// <param name="failCommitEvery">Fails every n-th orchestration commit on purpose (<see cref="FaultInjectingOrchestrationService"/>; 0: none).</param>
    /// <param name="hangStepFetch">Holds the n-th step fetch for <see cref="FaultInjectingOrchestrationService.HangTime"/> (0: none).</param>
    /// <param name="cronflow">
    /// Registers Cronflow's services (options, output store, orchestrator, step activity) in place of the embedded host's
    /// own registration: for the settings of another host (the Functions library's).
    /// </param>
    /// <param name="floor">Runs the 3-step sequence and the 10-way fan-out on <see cref="FloorOrchestrator"/> instead of the interpreter.</param>
    public static async Task<BenchHost> StartAsync(Engine engine, string? taskHub = null, string connectionString = "UseDevelopmentStorage=true", TimeSpan? visibilityTimeout = null, ILoggerFactory? loggerFactory = null, int failCommitEvery = 0, Action<IServiceCollection>? cronflow = null, int hangStepFetch = 0, bool floor = false)
    {
        var hostOptions = new CronflowHostOptions();
        if (engine == Engine.Azurite)
        {
            hostOptions.UseAzureStorage(connectionString, taskHub ?? throw new ArgumentNullException(nameof(taskHub)), azure =>
            {
                if (visibilityTimeout is { } visibility)
                {
                    azure.VisibilityTimeout = visibility;
                }
            });
        }

        if (failCommitEvery > 0 || hangStepFetch > 0)
        {
            hostOptions.WrapWorkerService = service => new FaultInjectingOrchestrationService(service, failCommitEvery, hangStepFetch);
        }

        hostOptions.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;

        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        if (cronflow is null)
        {
            services.AddStepOutputStore(hostOptions);
            services.AddCronflow(BenchWorkflows.Register);
        }
        else
        {
            cronflow(services);
        }

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });

        var backend = await Backend.CreateAsync(hostOptions, loggerFactory);
        var tracker = TrackingOrchestrationService.Wrap(backend.Service);
        var worker = new TaskHubWorker(tracker, loggerFactory) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        var orchestrator = provider.GetRequiredService<WorkflowOrchestrator>();
        ShimRegistration.Register(
            worker,
            floor ? new FloorOrchestrator(orchestrator, provider.GetRequiredService<WorkflowRegistry>()) : orchestrator,
            provider.GetRequiredService<StepActivity>(),
            loggerFactory);
        RawRegistration.Register(worker, loggerFactory);

        // As in CronflowHost: both sides run through the same dispatcher pipeline, the repeated-result filter included.
        DuplicateResultFilter.Register(worker, loggerFactory.CreateLogger(DuplicateResultFilter.LoggerCategory));
        await worker.StartAsync();
        return engine == Engine.Azurite
            ? new BenchHost(provider, worker, backend, tracker, taskHub, connectionString, hostOptions.AzureStorage!.PartitionCount)
            : new BenchHost(provider, worker, backend, tracker, null);
    }

    /// <summary>Starts a Cronflow run and returns its id.</summary>
    public Task<string> StartCronflowAsync(string workflowId, object? payload) => Cronflow.TriggerAsync(workflowId, payload);

    /// <summary>Starts a hand-written orchestration and returns its id.</summary>
    public async Task<string> StartRawAsync(string name, object? input)
    {
        var instance = await Raw.CreateOrchestrationInstanceAsync(name, string.Empty, RunRequests.NewRunId(), input);
        return instance.InstanceId;
    }

    /// <summary>Waits for <paramref name="instanceId"/> to finish, failing loudly after <paramref name="timeout"/>.</summary>
    public async Task<Finished> WaitAsync(string instanceId, TimeSpan timeout)
    {
        var finished = await Tracker.FinishedAsync(instanceId).WaitAsync(timeout);
        Tracker.Forget(instanceId);
        return finished;
    }

    /// <summary>
    /// Removes finished instances (state and history) from the backend, so that rounds do not accumulate state: in
    /// memory it would grow the heap, and Azurite's tables get slower to query as they grow.
    /// </summary>
    public async Task PurgeAsync(IEnumerable<string> instanceIds)
    {
        if (ServiceClient is not IOrchestrationServicePurgeClient purge)
        {
            return;
        }

        await Parallel.ForEachAsync(
            instanceIds,
            new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = IsDurable ? 8 : 1 },
            async (id, _) => await purge.PurgeInstanceStateAsync(id));
    }

    /// <summary>What the backend reports about an instance (for diagnosing runs that do not finish).</summary>
    public async Task<string> DescribeAsync(string instanceId)
    {
        try
        {
            var state = (await ServiceClient.GetOrchestrationStateAsync(instanceId, allExecutions: false)).FirstOrDefault(s => s is not null);
            var text = state is null
                ? "no state"
                : $"{state.Name} {state.OrchestrationStatus}, created {state.CreatedTime:HH:mm:ss.fff}, updated {state.LastUpdatedTime:HH:mm:ss.fff}";
            if (IsDurable)
            {
                using var history = System.Text.Json.JsonDocument.Parse(await ServiceClient.GetOrchestrationHistoryAsync(instanceId, null));
                text += $", {history.RootElement.GetArrayLength()} history events: "
                    + string.Join(",", history.RootElement.EnumerateArray().Select(e => e.TryGetProperty("EventType", out var t) ? t.ToString() : "?"));
            }

            return text;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"state unavailable ({ex.GetType().Name}: {ex.Message})";
        }
    }

    /// <summary>
    /// The task hub's queues (Azure Storage only): for the work-item queue and each control queue, the approximate
    /// number of messages and how many of them are visible now (up to 32: visible messages wait for a fetch, hidden
    /// ones are taken or backing off).
    /// </summary>
    public async Task<string> DescribeQueuesAsync()
    {
        if (_connectionString is null || TaskHub is null)
        {
            return "no queues";
        }

        var names = new List<string> { $"{TaskHub}-workitems" };
        names.AddRange(Enumerable.Range(0, _partitions).Select(i => $"{TaskHub}-control-{i:00}"));
        var parts = new List<string>();
        foreach (var name in names)
        {
            try
            {
                var queue = new Azure.Storage.Queues.QueueClient(_connectionString, name);
                var count = (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
                var visible = (await queue.PeekMessagesAsync(32)).Value.Length;
                parts.Add($"{name[(TaskHub.Length + 1)..]} {count} ({visible} visible)");
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                parts.Add($"{name[(TaskHub.Length + 1)..]} unavailable ({ex.GetType().Name})");
            }
        }

        return string.Join(", ", parts);
    }

    /// <summary>The number of history events of a finished execution, read back from the backend (Azure Storage only).</summary>
    public async Task<int?> CountStoredHistoryAsync(string instanceId, string? executionId)
    {
        if (!IsDurable)
        {
            return null;
        }

        var json = await ServiceClient.GetOrchestrationHistoryAsync(instanceId, executionId);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.GetArrayLength();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _worker.StopAsync(isForced: true);
        if (_backend.IsDurable)
        {
            try
            {
                // Each run uses a task hub of its own: remove its queues, tables and blobs from the shared emulator.
                await _backend.Service.DeleteAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"note: could not delete task hub {TaskHub}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        await _services.DisposeAsync();
    }

    /// <summary>Milliseconds between two <see cref="Stopwatch"/> timestamps.</summary>
    public static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
