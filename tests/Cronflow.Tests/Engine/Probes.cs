using System.Collections.Concurrent;

namespace Cronflow.Tests.Engine;

/// <summary>Counts calls in flight, remembering the most seen at once.</summary>
public sealed class ConcurrencyProbe
{
    private int _current;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public int Calls { get; private set; }

    public async Task<T> Track<T>(Func<Task<T>> work)
    {
        var now = Interlocked.Increment(ref _current);
        lock (this)
        {
            Calls++;
            _max = Math.Max(_max, now);
        }

        try
        {
            return await work();
        }
        finally
        {
            Interlocked.Decrement(ref _current);
        }
    }
}

/// <summary>Named signals that steps wait on and set, so tests order work without timing.</summary>
public sealed class Signals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new();

    public void Set(string name) => Get(name).TrySetResult();

    public bool IsSet(string name) => Get(name).Task.IsCompleted;

    /// <summary>Waits for a signal; a generous limit turns a deadlock into a clear failure instead of a hang.</summary>
    public async Task Wait(string name, CancellationToken cancellationToken = default) =>
        await Get(name).Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);

    private TaskCompletionSource Get(string name) => _signals.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>Counts attempts per key.</summary>
public sealed class AttemptCounter
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    public int Next(string key) => _counts.AddOrUpdate(key, 1, (_, n) => n + 1);

    public int Count(string key) => _counts.GetValueOrDefault(key);
}
