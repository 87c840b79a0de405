namespace Cronflow.Samples;

/// <summary>A value and where it was found.</summary>
/// <param name="Key">The key looked up.</param>
/// <param name="Value">The value.</param>
/// <param name="Source">cache, database or external.</param>
public sealed record SourcedValue(string Key, string Value, string Source);

/// <summary>The cache: fastest, but holds only <see cref="SampleData.CachedValues"/>; a miss throws.</summary>
public sealed class CacheSource(SampleLatency latency)
{
    /// <summary>Reads <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">Cache miss.</exception>
    public async Task<SourcedValue> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.Cache, cancellationToken);
        return SampleData.CachedValues.TryGetValue(key, out var value)
            ? new SourcedValue(key, value, "cache")
            : throw new KeyNotFoundException($"Cache miss for '{key}'.");
    }
}

/// <summary>The database: holds <see cref="SampleData.DatabaseValues"/>; an unknown key throws.</summary>
public sealed class DatabaseSource(SampleLatency latency)
{
    /// <summary>Reads <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No row for the key.</exception>
    public async Task<SourcedValue> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.DatabaseRead, cancellationToken);
        return SampleData.DatabaseValues.TryGetValue(key, out var value)
            ? new SourcedValue(key, value, "database")
            : throw new KeyNotFoundException($"No database row for '{key}'.");
    }
}

/// <summary>The external source: slowest, knows every key.</summary>
public sealed class ExternalDataSource(SampleLatency latency)
{
    /// <summary>Reads <paramref name="key"/>.</summary>
    public async Task<SourcedValue> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.ExternalSource, cancellationToken);
        return new SourcedValue(key, $"external value of {key}", "external");
    }
}
