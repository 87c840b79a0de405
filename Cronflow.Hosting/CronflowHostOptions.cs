using DurableTask.Core;
using Microsoft.Extensions.Logging;

namespace Cronflow;

/// <summary>How a <see cref="CronflowHost"/> runs: its backend, its HTTP listener and its concurrency.</summary>
public sealed class CronflowHostOptions
{
    internal AzureStorageBackendOptions? AzureStorage { get; private set; }

    internal List<string> ListenUrls { get; } = [];

    /// <summary>
    /// Wraps the orchestration service the worker runs on (the client keeps the unwrapped one). For tests that
    /// inject backend faults, such as a result delivered twice; not set in normal use.
    /// </summary>
    internal Func<IOrchestrationService, IOrchestrationService>? WrapWorkerService { get; set; }

    /// <summary>Activities (step bodies) run at once by this host. Default: 100 per processor, as the Durable SDK worker.</summary>
    public int MaxConcurrentActivities { get; set; } = 100 * Environment.ProcessorCount;

    /// <summary>Orchestration episodes run at once by this host. Default: 100 per processor.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 100 * Environment.ProcessorCount;

    /// <summary>Where the engine logs. Default: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// A key the management routes require (header <c>x-api-key</c> or <c>Authorization: Bearer</c>), compared in
    /// constant time. Without one, the HTTP API may only listen on loopback addresses. Webhooks follow their own rules.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Whether this host fires <c>OnSchedule</c>/<c>OnInterval</c> occurrences (default true). Several hosts may all do so: each occurrence still runs once.</summary>
    public bool RunSchedules { get; set; } = true;

    /// <summary>How often the schedule ticker looks for due occurrences (default 5 s).</summary>
    public TimeSpan ScheduleTickInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long disposing the host waits for the engine to stop (default 15 s). On Azure Storage the engine releases its
    /// partition leases as it stops; when the storage is gone, its retries would otherwise hold the process for minutes.
    /// Leases not released expire by themselves (<see cref="AzureStorageBackendOptions.LeaseInterval"/>).
    /// </summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The clock of the schedule ticker and the HTTP API (default: the system clock). Tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Runs fully in memory (the default): fast, no storage, nothing survives the process.</summary>
    public CronflowHostOptions UseInMemory()
    {
        AzureStorage = null;
        return this;
    }

    /// <summary>
    /// Runs on the Durable Task Azure Storage backend (Azure Storage or the Azurite emulator), the same one Azure Functions uses.
    /// Runs survive restarts, and several hosts on one task hub share the work. The task hub is created if missing.
    /// </summary>
    /// <param name="connectionString">A storage connection string, such as <c>UseDevelopmentStorage=true</c> for Azurite.</param>
    /// <param name="taskHub">The task hub name (3–45 letters and digits, starting with a letter).</param>
    /// <param name="configure">Tunes polling and recovery (defaults suit local use).</param>
    public CronflowHostOptions UseAzureStorage(string connectionString, string taskHub = "cronflow", Action<AzureStorageBackendOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(taskHub);
        var options = new AzureStorageBackendOptions { ConnectionString = connectionString, TaskHub = taskHub };
        configure?.Invoke(options);
        AzureStorage = options;
        return this;
    }

    /// <summary>Also serves the HTTP API at <paramref name="url"/> (for example <c>http://127.0.0.1:7071</c>; port 0 picks a free port).</summary>
    public CronflowHostOptions ListenOn(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        ListenUrls.Add(url);
        return this;
    }

    internal void Validate()
    {
        if (MaxConcurrentActivities < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentActivities), MaxConcurrentActivities, "Must be at least 1.");
        }

        if (ScheduleTickInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ScheduleTickInterval), ScheduleTickInterval, "Must be positive.");
        }

        if (StopTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StopTimeout), StopTimeout, "Must be positive.");
        }

        if (ApiKey is { Length: < 16 })
        {
            throw new ArgumentException("CronflowHostOptions.ApiKey must be at least 16 characters.", nameof(ApiKey));
        }

        if (MaxConcurrentOrchestrations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentOrchestrations), MaxConcurrentOrchestrations, "Must be at least 1.");
        }

        if (AzureStorage is { } azure && (azure.LeaseAcquireInterval <= TimeSpan.Zero || azure.LeaseAcquireInterval >= azure.LeaseInterval))
        {
            throw new ArgumentOutOfRangeException(nameof(AzureStorageBackendOptions.LeaseAcquireInterval), azure.LeaseAcquireInterval, "Must be positive and shorter than LeaseInterval.");
        }

        if (AzureStorage is { StorageRequestTimeout: { } timeout } && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AzureStorageBackendOptions.StorageRequestTimeout), timeout, "Must be positive.");
        }
    }
}

/// <summary>Settings of the Azure Storage backend. The defaults suit local development against Azurite.</summary>
public sealed class AzureStorageBackendOptions
{
    /// <summary>The storage connection string.</summary>
    public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>The task hub name.</summary>
    public string TaskHub { get; set; } = "cronflow";

    /// <summary>The longest pause between queue polls when idle (default 500 ms; the backend's own default is 30 s).</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a dequeued message stays hidden (default 20 s; the backend's own default is 5 min). After a crash,
    /// the work the crashed host held becomes visible to other hosts after this long. Shorter is not free: a message
    /// that waits inside a busy host longer than this is handed out again, and the episode holding the old copy fails
    /// and is retried (the host does not slow its other runs down for that; docs/azurite-stalls.md).
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long one try of a storage request may go unanswered before the backend's client abandons it and tries again
    /// (default null: the Azure SDK's own 100 s). A shorter time helps where connections can drop without a word (a
    /// request on a dead connection waits out the whole timeout). It does not help against a storage service that is
    /// busy: the abandoned request is still served, and its retries add to the load; against a saturated Azurite, 15 s
    /// turned requests that would have been answered late into failures (docs/azurite-stalls.md).
    /// </summary>
    public TimeSpan? StorageRequestTimeout { get; set; }

    /// <summary>Control-queue partitions (default 4).</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>
    /// How long a host's claim on a control-queue partition lasts without renewal (default 30 s, the backend's own default).
    /// After a crash, the partitions the crashed host held pass to a running (or restarted) host once this has passed.
    /// </summary>
    public TimeSpan LeaseInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a host renews its partition claims, claims free or expired partitions and rebalances them with other hosts
    /// (default 10 s, the backend's own default). Must be shorter than <see cref="LeaseInterval"/>.
    /// </summary>
    public TimeSpan LeaseAcquireInterval { get; set; } = TimeSpan.FromSeconds(10);
}
