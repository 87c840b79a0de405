using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.Logging;

namespace Cronflow.Hosting;

/// <summary>The orchestration service a host runs on, with the client side of the same service.</summary>
internal sealed class Backend
{
    private Backend(IOrchestrationService service, IOrchestrationServiceClient client, bool durable, InstanceUpdates updates)
    {
        Service = service;
        Client = client;
        IsDurable = durable;
        Updates = updates;
    }

    public IOrchestrationService Service { get; }

    public IOrchestrationServiceClient Client { get; }

    /// <summary>Whether runs survive the process (Azure Storage) or not (in memory).</summary>
    public bool IsDurable { get; }

    /// <summary>
    /// Every orchestration episode this process's engine commits. In memory that is every change of every instance;
    /// on Azure Storage other hosts on the task hub commit too, and waiters also poll.
    /// </summary>
    public InstanceUpdates Updates { get; }

    public static async Task<Backend> CreateAsync(CronflowHostOptions options, ILoggerFactory loggerFactory)
    {
        if (options.AzureStorage is { } azure)
        {
            var settings = new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = azure.TaskHub,
                StorageAccountClientProvider = ClientProvider(azure.ConnectionString, azure.StorageRequestTimeout),
                MaxQueuePollingInterval = azure.MaxQueuePollingInterval,
                WorkItemQueueVisibilityTimeout = azure.VisibilityTimeout,
                ControlQueueVisibilityTimeout = azure.VisibilityTimeout,
                PartitionCount = azure.PartitionCount,
                LeaseInterval = azure.LeaseInterval,
                LeaseAcquireInterval = azure.LeaseAcquireInterval,

                // One id per host: with the backend's default (the machine name), every host on one machine would claim every partition.
                WorkerId = $"{Environment.MachineName}-{Guid.NewGuid():N}",

                // Starting an instance that exists throws OrchestrationAlreadyExistsException (as in memory) instead of doing nothing.
                ThrowExceptionOnInvalidDedupeStatus = true,
                MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
                MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
                LoggerFactory = loggerFactory,
            };
            var service = new AzureStorageOrchestrationService(settings);
            await service.CreateIfNotExistsAsync().ConfigureAwait(false);
            var released = new ActivityReleaseOnFailure(service, loggerFactory.CreateLogger(DuplicateResultFilter.LoggerCategory));

            // One failed work item must not slow every run on the host down (docs/azurite-stalls.md).
            var unthrottled = new DispatcherBackoffLimit(released);
            var shared = new InstanceUpdates(seesEveryChange: false);
            return new Backend(Wrap(options, new UpdateReportingOrchestrationService(unthrottled, shared)), service, durable: true, shared);
        }

        var memory = new InMemoryOrchestrationService(loggerFactory);
        var relayed = new CrossInstanceMessageRelay(memory, memory);
        var limited = new SlotLimitedOrchestrationService(relayed, options.MaxConcurrentOrchestrations, options.MaxConcurrentActivities);
        var updates = new InstanceUpdates(seesEveryChange: true);
        return new Backend(Wrap(options, new UpdateReportingOrchestrationService(limited, updates)), memory, durable: false, updates);
    }

    /// <summary>
    /// The backend's storage clients; with <paramref name="requestTimeout"/>, each client gives up on one try of a
    /// request after that long (see <see cref="AzureStorageBackendOptions.StorageRequestTimeout"/>).
    /// </summary>
    internal static StorageAccountClientProvider ClientProvider(string connectionString, TimeSpan? requestTimeout)
    {
        if (requestTimeout is not { } timeout)
        {
            return new StorageAccountClientProvider(connectionString);
        }

        var blob = new BlobClientOptions();
        var queue = new QueueClientOptions();
        var table = new TableClientOptions();
        blob.Retry.NetworkTimeout = timeout;
        queue.Retry.NetworkTimeout = timeout;
        table.Retry.NetworkTimeout = timeout;
        return new StorageAccountClientProvider(
            StorageServiceClientProvider.ForBlob(connectionString, blob),
            StorageServiceClientProvider.ForQueue(connectionString, queue),
            StorageServiceClientProvider.ForTable(connectionString, table));
    }

    private static IOrchestrationService Wrap(CronflowHostOptions options, IOrchestrationService service) =>
        options.WrapWorkerService is { } wrap ? wrap(service) : service;
}
