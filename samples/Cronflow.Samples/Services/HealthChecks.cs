namespace Cronflow.Samples;

/// <summary>A health check's answer.</summary>
/// <param name="Service">primary, backup or fallback.</param>
/// <param name="Status">healthy.</param>
/// <param name="ResponseTimeMs">How long the check took, in milliseconds.</param>
public sealed record HealthReport(string Service, string Status, long ResponseTimeMs);

/// <summary>Health endpoints of three redundant services; an unhealthy one throws (see <see cref="SampleFaults.UnhealthyServices"/>).</summary>
public sealed class HealthCheckClient(SampleLatency latency, SampleFaults faults)
{
    /// <summary>Checks the primary service.</summary>
    public Task<HealthReport> PrimaryAsync(CancellationToken cancellationToken = default) => CheckAsync("primary", latency.HealthPrimary, cancellationToken);

    /// <summary>Checks the backup service.</summary>
    public Task<HealthReport> BackupAsync(CancellationToken cancellationToken = default) => CheckAsync("backup", latency.HealthBackup, cancellationToken);

    /// <summary>Checks the fallback service.</summary>
    public Task<HealthReport> FallbackAsync(CancellationToken cancellationToken = default) => CheckAsync("fallback", latency.HealthFallback, cancellationToken);

    private async Task<HealthReport> CheckAsync(string service, TimeSpan delay, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        await Task.Delay(delay, cancellationToken);
        if (faults.UnhealthyServices.Contains(service))
        {
            throw new SampleServiceException($"The {service} service is unhealthy (503).");
        }

        return new HealthReport(service, "healthy", (long)TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
    }
}
