namespace Cronflow;

/// <summary>
/// Wakes waiters in this process when an instance's state has changed in a way that may have finished its run. An
/// engine that runs in this process reports each such orchestration episode it commits (<see cref="Changed"/>), so that
/// <see cref="DurableCronflowClient.WaitForRunAsync"/> reads a run again as soon as it may be finished instead of polling.
/// </summary>
internal sealed class InstanceUpdates
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <param name="seesEveryChange">
    /// Whether every such change of every instance is reported here (one process owns the task hub, as in memory); when
    /// not (a task hub shared with other hosts), waiters poll as well.
    /// </param>
    public InstanceUpdates(bool seesEveryChange) => SeesEveryChange = seesEveryChange;

    /// <summary>Whether every change is reported here; see the constructor.</summary>
    public bool SeesEveryChange { get; }

    /// <summary>
    /// Watches the instance's next change. Take the watch before reading the instance's state: a change committed
    /// between the read and the wait then still ends the wait.
    /// </summary>
    public Watch Next(string instanceId)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(instanceId, out var entry))
            {
                _entries[instanceId] = entry = new Entry();
            }

            entry.Watchers++;
            return new Watch(this, instanceId, entry);
        }
    }

    /// <summary>Reports that the instance's state was committed: every watch on it ends.</summary>
    public void Changed(string instanceId) => Changed(instanceId, (InstanceSnapshot?)null, static none => none);

    /// <summary>Reports that the instance's state was committed: every watch on it ends, with that state.</summary>
    /// <param name="instanceId">The instance.</param>
    /// <param name="committed">What the state is made from.</param>
    /// <param name="snapshot">
    /// Makes the state just committed, when it is exactly what a read of the instance would return now (the engine that
    /// committed it owns the instance's store, as in memory): waiters use it instead of reading it again. Called only
    /// when someone watches the instance, as most commits end runs nobody waits for in this process.
    /// </param>
    public void Changed<TState>(string instanceId, TState committed, Func<TState, InstanceSnapshot?> snapshot)
    {
        Entry? entry;
        lock (_lock)
        {
            if (!_entries.Remove(instanceId, out entry))
            {
                return;
            }
        }

        entry.Signal.TrySetResult(snapshot(committed));
    }

    private void Release(string instanceId, Entry entry)
    {
        lock (_lock)
        {
            // The last watcher of a change that has not come removes the entry (a change removes it itself).
            if (--entry.Watchers == 0 && _entries.TryGetValue(instanceId, out var current) && current == entry)
            {
                _entries.Remove(instanceId);
            }
        }
    }

    internal sealed class Entry
    {
        // Waiters go on on the thread pool, not on the engine thread that reported the change.
        public TaskCompletionSource<InstanceSnapshot?> Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Watchers { get; set; }
    }

    /// <summary>A watch on an instance's next change; dispose it when done waiting.</summary>
    internal sealed class Watch : IDisposable
    {
        private readonly InstanceUpdates _owner;
        private readonly string _instanceId;
        private readonly Entry _entry;
        private int _disposed;

        internal Watch(InstanceUpdates owner, string instanceId, Entry entry)
        {
            _owner = owner;
            _instanceId = instanceId;
            _entry = entry;
        }

        /// <summary>Completes when the instance changes, with the committed state when the change carried it (see <see cref="InstanceUpdates.Changed"/>).</summary>
        public Task<InstanceSnapshot?> Changed => _entry.Signal.Task;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _owner.Release(_instanceId, _entry);
            }
        }
    }
}
