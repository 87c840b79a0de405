namespace Cronflow.Samples;

/// <summary>
/// How long each fake service takes to answer. The defaults are realistic (tens to a couple of hundred milliseconds);
/// tests set them to a few milliseconds with <see cref="SetAll"/>.
/// </summary>
public sealed class SampleLatency
{
    /// <summary>User, order, product and payment stores.</summary>
    public TimeSpan Store { get; set; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Calls to the external HTTP API.</summary>
    public TimeSpan ExternalApi { get; set; } = TimeSpan.FromMilliseconds(120);

    /// <summary>The external API's report endpoint, slow enough to trip the timeout sample's block timeout.</summary>
    public TimeSpan SlowReport { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Writes to the database.</summary>
    public TimeSpan DatabaseWrite { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>The primary payment gateway.</summary>
    public TimeSpan PrimaryGateway { get; set; } = TimeSpan.FromMilliseconds(80);

    /// <summary>The backup payment gateway (slower than the primary).</summary>
    public TimeSpan BackupGateway { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The cache data source.</summary>
    public TimeSpan Cache { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The database data source.</summary>
    public TimeSpan DatabaseRead { get; set; } = TimeSpan.FromMilliseconds(60);

    /// <summary>The external data source.</summary>
    public TimeSpan ExternalSource { get; set; } = TimeSpan.FromMilliseconds(180);

    /// <summary>The primary service's health endpoint.</summary>
    public TimeSpan HealthPrimary { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>The backup service's health endpoint.</summary>
    public TimeSpan HealthBackup { get; set; } = TimeSpan.FromMilliseconds(90);

    /// <summary>The fallback service's health endpoint.</summary>
    public TimeSpan HealthFallback { get; set; } = TimeSpan.FromMilliseconds(180);

    /// <summary>The risky API used by the error-handling samples.</summary>
    public TimeSpan RiskyApi { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Each call to the rate-limited API of the resource-limit sample.</summary>
    public TimeSpan RateLimitedApi { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Processing one user in the batch sample.</summary>
    public TimeSpan UserProcessing { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Sets every latency to <paramref name="latency"/>; adjust single ones afterwards.</summary>
    /// <returns>This instance.</returns>
    public SampleLatency SetAll(TimeSpan latency)
    {
        Store = ExternalApi = SlowReport = DatabaseWrite = latency;
        PrimaryGateway = BackupGateway = latency;
        Cache = DatabaseRead = ExternalSource = latency;
        HealthPrimary = HealthBackup = HealthFallback = latency;
        RiskyApi = RateLimitedApi = UserProcessing = latency;
        return this;
    }
}

/// <summary>Simulated outages of the fake services. Everything is healthy by default.</summary>
public sealed class SampleFaults
{
    /// <summary>The primary payment gateway throws instead of answering.</summary>
    public bool PrimaryGatewayDown { get; set; }

    /// <summary>The backup payment gateway throws instead of answering.</summary>
    public bool BackupGatewayDown { get; set; }

    /// <summary>The services whose health check fails: any of <c>primary</c>, <c>backup</c>, <c>fallback</c>.</summary>
    public ISet<string> UnhealthyServices { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Thrown by a fake service when it simulates an outage or an error.</summary>
public sealed class SampleServiceException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public SampleServiceException()
        : base("The sample service failed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public SampleServiceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public SampleServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
