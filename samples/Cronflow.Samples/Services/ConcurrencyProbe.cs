namespace Cronflow.Samples;

/// <summary>Counts calls in flight and remembers the most seen at once. Thread-safe.</summary>
public sealed class ConcurrencyProbe
{
    private int _inFlight;
    private int _maxObserved;
    private int _totalCalls;

    /// <summary>Calls in flight now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The largest number of calls seen in flight at once.</summary>
    public int MaxObserved => Volatile.Read(ref _maxObserved);

    /// <summary>Calls started so far.</summary>
    public int TotalCalls => Volatile.Read(ref _totalCalls);

    /// <summary>Marks a call as started; dispose the result when it ends.</summary>
    public IDisposable Enter()
    {
        Interlocked.Increment(ref _totalCalls);
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxObserved)) && Interlocked.CompareExchange(ref _maxObserved, now, seen) != seen)
        {
        }

        return new Lease(this);
    }

    /// <summary>Clears the counters (there must be no call in flight).</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _maxObserved, Volatile.Read(ref _inFlight));
        Interlocked.Exchange(ref _totalCalls, 0);
    }

    private sealed class Lease(ConcurrencyProbe probe) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref probe._inFlight);
            }
        }
    }
}

/// <summary>An API that must not be called too often at once; every call is counted by the <see cref="ConcurrencyProbe"/>.</summary>
public sealed class RateLimitedApi(SampleLatency latency, ConcurrencyProbe probe)
{
    /// <summary>Fetches page <paramref name="page"/> of <paramref name="tenant"/>'s records.</summary>
    public async Task<ApiResponse> FetchPageAsync(string tenant, int page, CancellationToken cancellationToken = default)
    {
        using var call = probe.Enter();
        await Task.Delay(latency.RateLimitedApi, cancellationToken);
        return new ApiResponse($"/v1/tenants/{tenant}/records?page={page}", 200, $"page {page}: 25 records");
    }
}
