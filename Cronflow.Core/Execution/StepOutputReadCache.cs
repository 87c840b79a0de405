using System.Collections.Concurrent;

namespace Cronflow;

/// <summary>
/// Stored step outputs recently written or read by this process, bounded in bytes; the oldest go first. Keys name
/// outputs written once (see <see cref="StepOutputKeys"/>), so an entry is never stale.
/// </summary>
internal sealed class StepOutputReadCache(long maxBytes)
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Add(string key, byte[] value)
    {
        if (value.Length > maxBytes || !_entries.TryAdd(key, value))
        {
            return;
        }

        _order.Enqueue(key);
        Interlocked.Add(ref _bytes, value.Length);
        while (Interlocked.Read(ref _bytes) > maxBytes && _order.TryDequeue(out var oldest))
        {
            Remove(oldest);
        }
    }

    public bool TryGet(string key, out byte[] value) => _entries.TryGetValue(key, out value!);

    public void Remove(string key)
    {
        if (_entries.TryRemove(key, out var removed))
        {
            Interlocked.Add(ref _bytes, -removed.Length);
        }
    }
}
