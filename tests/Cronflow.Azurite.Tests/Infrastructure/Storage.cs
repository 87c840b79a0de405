using System.Security.Cryptography;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;

namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>Task hubs on the Azurite named by <c>CRONFLOW_AZURITE</c>: fresh names, tuning for quick recovery, history and clean-up.</summary>
internal static class Storage
{
    /// <summary>The storage connection string.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(AzuriteFactAttribute.Variable)
        ?? throw new InvalidOperationException($"{AzuriteFactAttribute.Variable} is not set.");

    /// <summary>Partition claims of a crashed test host expire after this long (the backend's default is 30 s).</summary>
    public static readonly TimeSpan LeaseInterval = TimeSpan.FromSeconds(6);

    /// <summary>How often test hosts renew and claim partitions (the backend's default is 10 s).</summary>
    public static readonly TimeSpan LeaseAcquireInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long messages taken by a crashed test host stay hidden (Cronflow's default is 20 s).</summary>
    public static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(6);

    /// <summary>A task hub name no other test uses: "t" and 12 random hex digits.</summary>
    public static string NewTaskHub() => "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>
    /// Runs an in-process host on <paramref name="taskHub"/> with the default backend settings. These hosts are stopped
    /// by disposing them, which hands their partitions over at once; only the killed test-host processes need the
    /// short timings of <see cref="TestHostTuning"/> (which would slow a heavily loaded host down: see docs/local.md).
    /// </summary>
    public static CronflowHostOptions UseAzurite(this CronflowHostOptions options, string taskHub) =>
        options.UseAzureStorage(ConnectionString, taskHub);

    /// <summary>Command-line arguments of the test host for quick crash recovery: short leases and visibility timeout.</summary>
    public static string[] TestHostTuning() =>
    [
        "--lease-interval", Seconds(LeaseInterval),
        "--lease-acquire-interval", Seconds(LeaseAcquireInterval),
        "--visibility-timeout", Seconds(VisibilityTimeout),
    ];

    /// <summary>The backend's own client on <paramref name="taskHub"/>, for reading histories (it is never started).</summary>
    public static AzureStorageOrchestrationService Service(string taskHub) => new(new AzureStorageOrchestrationServiceSettings
    {
        TaskHubName = taskHub,
        StorageAccountClientProvider = new StorageAccountClientProvider(ConnectionString),
    });

    /// <summary>Deletes the task hub's queues, tables and blobs. Best effort: a leftover hub only costs Azurite memory.</summary>
    public static async Task DeleteTaskHubAsync(string taskHub)
    {
        try
        {
            await Service(taskHub).DeleteAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing depends on it.
        }
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The history of the latest execution of <paramref name="instanceId"/>, as stored.</summary>
    public static async Task<IReadOnlyList<StoredEvent>> HistoryAsync(AzureStorageOrchestrationService service, string instanceId)
    {
        var states = await service.GetOrchestrationStateAsync(instanceId, allExecutions: false);
        var executionId = states.Single().OrchestrationInstance.ExecutionId;
        var json = await service.GetOrchestrationHistoryAsync(instanceId, executionId);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => new StoredEvent(
            (EventType)e.GetProperty(nameof(HistoryEvent.EventType)).GetInt32(),
            e.GetProperty(nameof(HistoryEvent.EventId)).GetInt32(),
            e.TryGetProperty(nameof(TaskCompletedEvent.TaskScheduledId), out var scheduled) ? scheduled.GetInt32() : null,
            e.GetProperty(nameof(HistoryEvent.Timestamp)).GetDateTime()))];
    }

    /// <summary>
    /// The task-scheduled ids whose completion (TaskCompleted or TaskFailed) appears more than once in
    /// <paramref name="history"/>, with how many times.
    /// </summary>
    public static IReadOnlyDictionary<int, int> DuplicateCompletions(IReadOnlyList<StoredEvent> history) => history
        .Where(e => e.Type is EventType.TaskCompleted or EventType.TaskFailed)
        .GroupBy(e => e.TaskScheduledId ?? -1)
        .Where(g => g.Count() > 1)
        .ToDictionary(g => g.Key, g => g.Count());
}

/// <summary>One stored history event: its type, id, for completions the id of the task they complete, and when it happened.</summary>
internal sealed record StoredEvent(EventType Type, int EventId, int? TaskScheduledId, DateTime Timestamp)
{
    public override string ToString() =>
        $"{Timestamp:HH:mm:ss.fff} {Type}" + (Type is EventType.TaskScheduled ? $"#{EventId}" : TaskScheduledId is { } id ? $"#{id}" : "");
}
