using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Cronflow.Hosting;
using DurableTask.Core;
using DurableTask.Core.Entities;
using DurableTask.Core.History;

namespace Cronflow.Benchmarks.Harness;

/// <summary>How an orchestration instance ended, seen when the backend committed its last episode.</summary>
/// <param name="Timestamp">A <see cref="Stopwatch"/> timestamp taken right after the commit returned.</param>
/// <param name="Status">The Durable Task status.</param>
/// <param name="Output">The serialized orchestration output.</param>
/// <param name="ExecutionId">The execution id (to read the history from the backend).</param>
/// <param name="HistoryEvents">The number of history events of the execution, the final ones included.</param>
/// <param name="History">The execution's history events, when <see cref="TrackingOrchestrationService.CaptureHistory"/> is on.</param>
/// <param name="DuplicateResults">Activity results recorded more than once (an activity message delivered again, for example after its visibility timeout).</param>
internal sealed record Finished(long Timestamp, OrchestrationStatus Status, string? Output, string? ExecutionId, int HistoryEvents, int DuplicateResults, IReadOnlyList<HistoryEvent>? History = null);

/// <summary>Bytes that went to activities (their inputs) and came back (their results) for one instance.</summary>
internal sealed class PayloadTally
{
    private long _inputBytes;
    private long _outputBytes;
    private int _inputs;
    private int _outputs;

    /// <summary>The serialized activity inputs, in the order they were scheduled (kept only when asked for).</summary>
    public List<string?>? KeptInputs { get; init; }

    public long InputBytes => Interlocked.Read(ref _inputBytes);

    public long OutputBytes => Interlocked.Read(ref _outputBytes);

    public int Inputs => Volatile.Read(ref _inputs);

    public int Outputs => Volatile.Read(ref _outputs);

    private long _historyBytes;
    private long _statusBytes;
    private int _episodes;

    /// <summary>Bytes of the payloads in the history (run input, activity inputs and results, run output).</summary>
    public long HistoryBytes => Interlocked.Read(ref _historyBytes);

    /// <summary>Bytes of custom status written, summed over the episodes (the backend stores it with every episode).</summary>
    public long StatusBytes => Interlocked.Read(ref _statusBytes);

    public int Episodes => Volatile.Read(ref _episodes);

    public void AddEpisode(IEnumerable<HistoryEvent> newEvents, string? customStatus)
    {
        Interlocked.Increment(ref _episodes);
        Interlocked.Add(ref _statusBytes, Bytes(customStatus));
        foreach (var e in newEvents)
        {
            Interlocked.Add(ref _historyBytes, e switch
            {
                ExecutionStartedEvent started => Bytes(started.Input),
                TaskScheduledEvent scheduled => Bytes(scheduled.Input),
                TaskCompletedEvent completed => Bytes(completed.Result),
                ExecutionCompletedEvent done => Bytes(done.Result),
                _ => 0,
            });
        }
    }

    private static int Bytes(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);

    public void AddInput(string? serialized)
    {
        Interlocked.Add(ref _inputBytes, serialized is null ? 0 : Encoding.UTF8.GetByteCount(serialized));
        Interlocked.Increment(ref _inputs);
        if (KeptInputs is { } kept)
        {
            lock (kept)
            {
                kept.Add(serialized);
            }
        }
    }

    public void AddOutput(string? serialized)
    {
        if (serialized is not null && serialized.StartsWith(ReadResultStart, StringComparison.Ordinal))
        {
            // The orchestration's read of an output it holds by reference: not a step's output.
            Interlocked.Add(ref _fetchedBytes, Encoding.UTF8.GetByteCount(serialized));
            Interlocked.Increment(ref _fetches);
            return;
        }

        Interlocked.Add(ref _outputBytes, serialized is null ? 0 : Encoding.UTF8.GetByteCount(serialized));
        Interlocked.Increment(ref _outputs);
    }

    private static readonly string ReadResultStart = $"{{\"path\":\"{StepOutputKeys.ReadPath}\"";

    private long _childInputBytes;
    private int _children;
    private long _fetchedBytes;
    private int _fetches;

    /// <summary>Whether the instance's own sub-orchestrations (for-each chunks, nested loops: ids <c>&lt;id&gt;~…</c>) count here too.</summary>
    public bool WithChildren { get; init; }

    /// <summary>Bytes of the inputs of sub-orchestrations started (chunks, nested loops, subflows).</summary>
    public long ChildInputBytes => Interlocked.Read(ref _childInputBytes);

    public int Children => Volatile.Read(ref _children);

    /// <summary>Bytes of the results of the orchestration's reads of outputs it held by reference.</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

    public int Fetches => Volatile.Read(ref _fetches);

    public void AddChildInput(string? serialized)
    {
        Interlocked.Add(ref _childInputBytes, serialized is null ? 0 : Encoding.UTF8.GetByteCount(serialized));
        Interlocked.Increment(ref _children);
    }
}

/// <summary>
/// Delegates every call to the backend a host runs on and observes the commits that pass through it: when an
/// instance reaches a final state (with the exact time of the commit), when it armed a timer, and the sizes of the
/// messages it sent to activities. Both sides of every comparison run through the same wrapper.
/// </summary>
internal class TrackingOrchestrationService : DelegatingOrchestrationService
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Finished>> _finished = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _timers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PayloadTally> _tallies = new(StringComparer.Ordinal);

    protected TrackingOrchestrationService(IOrchestrationService inner)
        : base(inner)
    {
    }

    /// <summary>Whether commits that arm a timer are reported through <see cref="TimerArmed"/> (off unless a scenario needs it).</summary>
    public bool TrackTimers { get; set; }

    private int _commitErrors;

    /// <summary>Episodes whose commit threw (the backend rejected or failed a write); the worker retries them.</summary>
    public int CommitErrors => Volatile.Read(ref _commitErrors);

    public string? LastCommitError { get; private set; }

    /// <summary>Whether <see cref="Finished"/> carries a copy of the history (off unless a scenario needs it).</summary>
    public bool CaptureHistory { get; set; }

    private readonly ConcurrentDictionary<string, byte> _activitiesInFlight = new(StringComparer.Ordinal);
    private int _episodesInFlight;
    private long _activitiesTaken;
    private long _activitiesDone;
    private long _episodesTaken;
    private long _lastActivityTaken;
    private long _lastActivityDone;
    private long _lastEpisodeTaken;
    private long _lastEpisodeDone;
    private long _activityFetchSince;
    private long _episodeFetchSince;

    /// <summary>
    /// What the worker's two dispatchers were doing: steps and episodes handed out and not yet finished, how many were
    /// handed out in all, and when each dispatcher last took and finished one (for telling a stalled step dispatcher
    /// from a stalled orchestration dispatcher when a batch does not finish).
    /// </summary>
    public string DescribeWork()
    {
        static string Ago(long timestamp) => timestamp == 0 ? "never" : $"{Stopwatch.GetElapsedTime(timestamp).TotalSeconds:F1} s ago";
        return $"steps in flight {_activitiesInFlight.Count} (taken {Interlocked.Read(ref _activitiesTaken)}, finished {Interlocked.Read(ref _activitiesDone)}; "
            + $"last taken {Ago(Interlocked.Read(ref _lastActivityTaken))}, last finished {Ago(Interlocked.Read(ref _lastActivityDone))}; "
            + $"fetch waiting since {Ago(Interlocked.Read(ref _activityFetchSince))}), "
            + $"episodes in flight {Volatile.Read(ref _episodesInFlight)} (taken {Interlocked.Read(ref _episodesTaken)}; "
            + $"last taken {Ago(Interlocked.Read(ref _lastEpisodeTaken))}, last released {Ago(Interlocked.Read(ref _lastEpisodeDone))}; "
            + $"fetch waiting since {Ago(Interlocked.Read(ref _episodeFetchSince))})";
    }

    public override async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _activityFetchSince, Stopwatch.GetTimestamp());
        TaskActivityWorkItem workItem;
        try
        {
            workItem = await Inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Exchange(ref _activityFetchSince, 0);
        }

        if (workItem is not null)
        {
            if (workItem.Id is { } id)
            {
                _activitiesInFlight[id] = 0;
            }

            Interlocked.Increment(ref _activitiesTaken);
            Interlocked.Exchange(ref _lastActivityTaken, Stopwatch.GetTimestamp());
        }

        return workItem!;
    }

    public override async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        try
        {
            await Inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
        finally
        {
            ActivityDone(workItem);
        }
    }

    /// <summary>Counts a step as finished once, whether it was completed, abandoned, or abandoned after a failed completion.</summary>
    private void ActivityDone(TaskActivityWorkItem workItem)
    {
        if (workItem?.Id is { } id && _activitiesInFlight.TryRemove(id, out _))
        {
            Interlocked.Increment(ref _activitiesDone);
            Interlocked.Exchange(ref _lastActivityDone, Stopwatch.GetTimestamp());
        }
    }

    public override Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        FetchEpisodeAsync(Inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken));

    /// <summary>Counts the episode <paramref name="fetch"/> hands out, and how long it has been waiting for one.</summary>
    private protected async Task<TaskOrchestrationWorkItem> FetchEpisodeAsync(Task<TaskOrchestrationWorkItem> fetch)
    {
        Interlocked.Exchange(ref _episodeFetchSince, Stopwatch.GetTimestamp());
        TaskOrchestrationWorkItem workItem;
        try
        {
            workItem = await fetch.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Exchange(ref _episodeFetchSince, 0);
        }

        if (workItem is not null)
        {
            EpisodeTaken();
        }

        return workItem!;
    }

    private void EpisodeTaken()
    {
        Interlocked.Increment(ref _episodesInFlight);
        Interlocked.Increment(ref _episodesTaken);
        Interlocked.Exchange(ref _lastEpisodeTaken, Stopwatch.GetTimestamp());
    }

    public override async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        try
        {
            await Inner.ReleaseTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _episodesInFlight);
            Interlocked.Exchange(ref _lastEpisodeDone, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Wraps <paramref name="inner"/>, keeping its entity support visible to the worker (the Azure Storage backend has it).</summary>
    public static TrackingOrchestrationService Wrap(IOrchestrationService inner) =>
        inner is IEntityOrchestrationService entities ? new EntityTracking(inner, entities) : new TrackingOrchestrationService(inner);

    /// <summary>Completes when <paramref name="instanceId"/> reaches a final state (also if it did so before this call).</summary>
    public Task<Finished> FinishedAsync(string instanceId) => _finished.GetOrAdd(instanceId, NewSource<Finished>).Task;

    /// <summary>Completes when an episode of <paramref name="instanceId"/> armed a timer (requires <see cref="TrackTimers"/>).</summary>
    public Task<long> TimerArmed(string instanceId) => _timers.GetOrAdd(instanceId, NewSource<long>).Task;

    /// <summary>Starts counting activity input and result bytes for <paramref name="instanceId"/>.</summary>
    public PayloadTally Tally(string instanceId, bool keepInputs = false, bool withChildren = false) =>
        _tallies.GetOrAdd(instanceId, _ => new PayloadTally { KeptInputs = keepInputs ? [] : null, WithChildren = withChildren });

    /// <summary>The tally of an instance, or of the run whose sub-orchestration it is when that tally counts children.</summary>
    private bool TryGetTally(string instanceId, out PayloadTally tally)
    {
        if (_tallies.TryGetValue(instanceId, out tally!))
        {
            return true;
        }

        var cut = instanceId.IndexOf('~', StringComparison.Ordinal);
        return cut > 0 && _tallies.TryGetValue(instanceId[..cut], out tally!) && tally.WithChildren;
    }

    /// <summary>Drops what is kept about <paramref name="instanceId"/>.</summary>
    public void Forget(string instanceId)
    {
        _finished.TryRemove(instanceId, out _);
        _timers.TryRemove(instanceId, out _);
        _tallies.TryRemove(instanceId, out _);
    }

    public override async Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        var instanceId = workItem.InstanceId;
        if (instanceId is not null && TryGetTally(instanceId, out var tally))
        {
            foreach (var message in outboundMessages)
            {
                if (message.Event is TaskScheduledEvent scheduled)
                {
                    tally.AddInput(scheduled.Input);
                }
            }

            foreach (var message in orchestratorMessages)
            {
                if (message.Event is ExecutionStartedEvent started)
                {
                    tally.AddChildInput(started.Input);
                }
            }

            tally.AddEpisode(newOrchestrationRuntimeState.NewEvents, orchestrationState?.Status);
        }

        try
        {
            await Inner.CompleteTaskOrchestrationWorkItemAsync(
                workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The worker abandons the work item and retries it; counted so that reports can say so.
            Interlocked.Increment(ref _commitErrors);
            LastCommitError = string.Join(" <- ", Chain(ex).Select(e => $"{e.GetType().Name}: {e.Message.Split('\n')[0]}"));

            // The Azure Storage backend deletes the episode's messages last, after saving its history and state: a
            // message that was handed out again (pop receipt mismatch) or is gone fails the commit with the episode
            // saved. A final state saved that way is never committed again (the copy is discarded), so record it now.
            if (instanceId is not null && Chain(ex).Any(e => e is Azure.RequestFailedException { ErrorCode: "PopReceiptMismatch" or "MessageNotFound" }))
            {
                Observe(instanceId, newOrchestrationRuntimeState, timerMessages, orchestrationState);
            }

            throw;
        }

        if (instanceId is not null)
        {
            Observe(instanceId, newOrchestrationRuntimeState, timerMessages, orchestrationState);
        }
    }

    private void Observe(string instanceId, OrchestrationRuntimeState newOrchestrationRuntimeState, IList<TaskMessage> timerMessages, OrchestrationState? orchestrationState)
    {
        var status = orchestrationState?.OrchestrationStatus ?? newOrchestrationRuntimeState.OrchestrationStatus;
        if (status is OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled)
        {
            var finished = new Finished(
                Stopwatch.GetTimestamp(),
                status,
                orchestrationState?.Output ?? newOrchestrationRuntimeState.Output,
                newOrchestrationRuntimeState.OrchestrationInstance?.ExecutionId,
                newOrchestrationRuntimeState.Events.Count,
                DuplicateResults(newOrchestrationRuntimeState.Events),
                CaptureHistory ? [.. newOrchestrationRuntimeState.Events] : null);
            _finished.GetOrAdd(instanceId, NewSource<Finished>).TrySetResult(finished);
        }
        else if (TrackTimers && timerMessages.Count > 0)
        {
            _timers.GetOrAdd(instanceId, NewSource<long>).TrySetResult(Stopwatch.GetTimestamp());
        }
    }

    public override Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        if (responseMessage.OrchestrationInstance?.InstanceId is { } instanceId
            && TryGetTally(instanceId, out var tally)
            && responseMessage.Event is TaskCompletedEvent completed)
        {
            tally.AddOutput(completed.Result);
        }

        return CompleteActivityAsync(workItem, responseMessage);
    }

    private async Task CompleteActivityAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        try
        {
            await Inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage).ConfigureAwait(false);
        }
        finally
        {
            ActivityDone(workItem);
        }
    }

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static int DuplicateResults(IList<HistoryEvent> events)
    {
        var scheduled = 0;
        var results = 0;
        foreach (var e in events)
        {
            if (e is TaskScheduledEvent)
            {
                scheduled++;
            }
            else if (e is TaskCompletedEvent or TaskFailedEvent)
            {
                results++;
            }
        }

        return Math.Max(0, results - scheduled);
    }

    private static TaskCompletionSource<T> NewSource<T>(string _) => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The same wrapper for a backend with its own entity queues: the worker then fetches orchestrations as it would unwrapped.</summary>
    private sealed class EntityTracking(IOrchestrationService inner, IEntityOrchestrationService entities)
        : TrackingOrchestrationService(inner), IEntityOrchestrationService
    {
        public EntityBackendProperties? EntityBackendProperties => entities.EntityBackendProperties;

        public EntityBackendQueries? EntityBackendQueries => entities.EntityBackendQueries;

        public Task<TaskOrchestrationWorkItem> LockNextOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
            FetchEpisodeAsync(entities.LockNextOrchestrationWorkItemAsync(receiveTimeout, cancellationToken));

        public Task<TaskOrchestrationWorkItem> LockNextEntityWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
            FetchEpisodeAsync(entities.LockNextEntityWorkItemAsync(receiveTimeout, cancellationToken));
    }
}
