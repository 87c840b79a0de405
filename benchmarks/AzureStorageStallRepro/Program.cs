// Batches of concurrent 5-activity sequential orchestrations on the Durable Task Azure Storage backend alone
// (DurableTask.Core + DurableTask.AzureStorage, no Cronflow code), with the settings Cronflow's hosts use. Each batch
// is started at once and watched for a fixed window; a batch whose runs do not all finish in it is reported as
// stalled, with the backend's and the dispatchers' warning events counted per batch. See docs/azurite-stalls.md.
//
//   dotnet run -c Release --project benchmarks/AzureStorageStallRepro -- --connection "<connection string>" \
//       [--visibility-timeout 20] [--batches 6] [--runs 100] [--window 90] [--singles 0] [--fail-commit-every N] [--log FILE]
//
// --singles N runs N single instances one after the other after the batches and reports how long each took (start to
// completion, polled every 100 ms, given up after the window).
//
// --fail-commit-every N fails every N-th orchestration commit before anything is written (as a storage request refused
// with HTTP 503 would): it shows what one failed work item does to every other run on the worker.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DurableTask.AzureStorage;
using DurableTask.AzureStorage.Tracking;
using DurableTask.Core;
using Microsoft.Extensions.Logging;

var connection = "UseDevelopmentStorage=true";
var visibility = TimeSpan.FromSeconds(20);
var batches = 6;
var runs = 100;
var window = TimeSpan.FromSeconds(90);
string? logFile = null;
var failCommitEvery = 0;
var singles = 0;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = args[i + 1];
    switch (args[i])
    {
        case "--connection": connection = value; break;
        case "--visibility-timeout": visibility = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); break;
        case "--batches": batches = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--window": window = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); break;
        case "--log": logFile = value; break;
        case "--fail-commit-every": failCommitEvery = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--singles": singles = int.Parse(value, CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var counter = new EventCounter(logFile);
using var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Information).AddProvider(counter));
var taskHub = "repro" + Guid.NewGuid().ToString("N")[..12];
var settings = new AzureStorageOrchestrationServiceSettings
{
    TaskHubName = taskHub,
    StorageAccountClientProvider = new StorageAccountClientProvider(connection),
    MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
    WorkItemQueueVisibilityTimeout = visibility,
    ControlQueueVisibilityTimeout = visibility,
    PartitionCount = 4,
    WorkerId = $"{Environment.MachineName}-{Guid.NewGuid():N}",
    MaxConcurrentTaskActivityWorkItems = 100 * Environment.ProcessorCount,
    MaxConcurrentTaskOrchestrationWorkItems = 100 * Environment.ProcessorCount,
    LoggerFactory = loggerFactory,
};
var service = new AzureStorageOrchestrationService(settings);
await service.CreateIfNotExistsAsync();
var worker = new TaskHubWorker(failCommitEvery > 0 ? new FailingCommits(service, failCommitEvery) : service, loggerFactory);
worker.AddTaskOrchestrations(typeof(Sequence));
worker.AddTaskActivities(typeof(Step));
await worker.StartAsync();
var client = new TaskHubClient(service, loggerFactory: loggerFactory);
Console.WriteLine($"task hub {taskHub}; visibility timeout {visibility.TotalSeconds:F0} s; {batches} batches of {runs} runs of 5 activities; window {window.TotalSeconds:F0} s; failing every {(failCommitEvery > 0 ? failCommitEvery.ToString(CultureInfo.InvariantCulture) + "th" : "no")} commit");

try
{
    // Warm-up: one run.
    var warm = await client.CreateOrchestrationInstanceAsync(typeof(Sequence), 5);
    await client.WaitForOrchestrationAsync(warm, TimeSpan.FromMinutes(2));

    var stalled = 0;
    for (var batch = 1; batch <= batches; batch++)
    {
        var before = counter.Snapshot();
        var createdFrom = DateTime.UtcNow.AddSeconds(-1);
        var clock = Stopwatch.StartNew();
        var ids = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, runs, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, _) =>
            ids.Add((await client.CreateOrchestrationInstanceAsync(typeof(Sequence), 5)).InstanceId));
        var wanted = ids.ToHashSet(StringComparer.Ordinal);

        var done = 0;
        while (clock.Elapsed < window)
        {
            await Task.Delay(1000);
            done = await CountCompletedAsync(service, createdFrom, wanted);
            if (done == runs)
            {
                break;
            }
        }

        var events = counter.Since(before);
        var verdict = done == runs ? $"{runs}/{runs} in {clock.Elapsed.TotalSeconds:F1} s" : $"STALLED: {done}/{runs} after {clock.Elapsed.TotalSeconds:F0} s";
        if (done != runs)
        {
            stalled++;
        }

        Console.WriteLine($"batch {batch}: {verdict}; {events}");
    }

    Console.WriteLine($"stalled batches: {stalled} of {batches}");

    for (var single = 1; single <= singles; single++)
    {
        var before = counter.Snapshot();
        var clock = Stopwatch.StartNew();
        var instance = await client.CreateOrchestrationInstanceAsync(typeof(Sequence), 5);
        var status = OrchestrationStatus.Pending;
        while (clock.Elapsed < window && status != OrchestrationStatus.Completed)
        {
            await Task.Delay(100);
            status = (await service.GetOrchestrationStateAsync(instance.InstanceId, instance.ExecutionId))?.OrchestrationStatus ?? status;
        }

        var verdict = status == OrchestrationStatus.Completed ? $"{clock.Elapsed.TotalSeconds:F1} s" : $"NOT FINISHED after {clock.Elapsed.TotalSeconds:F0} s ({status})";
        Console.WriteLine($"single run {single}: {verdict}; {counter.Since(before)}");
    }
}
finally
{
    await worker.StopAsync(isForced: true);
    await service.DeleteAsync();
}

return 0;

static async Task<int> CountCompletedAsync(AzureStorageOrchestrationService service, DateTime createdFrom, HashSet<string> wanted)
{
    var condition = new OrchestrationInstanceStatusQueryCondition
    {
        RuntimeStatus = [OrchestrationStatus.Completed],
        CreatedTimeFrom = createdFrom,
    };
    var count = 0;
    string? continuation = null;
    do
    {
        var page = await service.GetOrchestrationStateAsync(condition, 1000, continuation);
        count += page.OrchestrationState.Count(s => wanted.Contains(s.OrchestrationInstance.InstanceId));
        continuation = page.ContinuationToken;
    }
    while (!string.IsNullOrEmpty(continuation));
    return count;
}

/// <summary>Five activities in sequence, each adding one.</summary>
internal sealed class Sequence : TaskOrchestration<int, int>
{
    public override async Task<int> RunTask(OrchestrationContext context, int input)
    {
        var value = 0;
        for (var i = 0; i < input; i++)
        {
            value = await context.ScheduleTask<int>(typeof(Step), value);
        }

        return value;
    }
}

/// <summary>Adds one.</summary>
internal sealed class Step : TaskActivity<int, int>
{
    protected override int Execute(TaskContext context, int input) => input + 1;
}

/// <summary>
/// Counts the warning and error events of the dispatchers and the backend by name (for example
/// <c>ProcessWorkItemFailed</c>, which is when a dispatcher backs off), and writes them with the time to a file if asked.
/// </summary>
internal sealed class EventCounter(string? path) : ILoggerProvider, ILogger
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly StreamWriter? _writer = path is null ? null : new StreamWriter(path) { AutoFlush = true };
    private readonly Lock _lock = new();

    public Dictionary<string, int> Snapshot() => new(_counts, StringComparer.Ordinal);

    public string Since(Dictionary<string, int> before)
    {
        var changes = _counts
            .Select(kv => (kv.Key, Count: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(c => c.Count > 0)
            .OrderByDescending(c => c.Count)
            .Select(c => $"{c.Key} {c.Count}");
        var text = string.Join(", ", changes);
        return text.Length == 0 ? "no warnings" : text;
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var name = eventId.Name ?? eventId.Id.ToString(CultureInfo.InvariantCulture);
        if (logLevel < LogLevel.Warning && name != "PendingOrchestratorMessageLimitReached")
        {
            return;
        }

        _counts.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (_writer is { } writer)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {name}: {formatter(state, exception)}".ReplaceLineEndings(" \\n ");
            lock (_lock)
            {
                writer.WriteLine(line);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer?.Dispose();
        }
    }
}

/// <summary>The backend, with every n-th orchestration commit refused before anything is written.</summary>
internal sealed class FailingCommits(AzureStorageOrchestrationService inner, int every) : IOrchestrationService
{
    private long _commits;

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState, IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages, TaskMessage continuedAsNewMessage, OrchestrationState orchestrationState) =>
        Interlocked.Increment(ref _commits) % every == 0
            ? throw new Azure.RequestFailedException(503, "Injected fault: the server is busy.", "ServerBusy", innerException: null)
            : inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);

    public Task StartAsync() => inner.StartAsync();

    public Task StopAsync() => inner.StopAsync();

    public Task StopAsync(bool isForced) => inner.StopAsync(isForced);

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) => inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);

    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) => inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) => inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);

    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);
}
