namespace Cronflow.Samples;

/// <summary>An API that fails on demand, for the error-handling samples.</summary>
public sealed class RiskyApi(SampleLatency latency)
{
    /// <summary>Calls <paramref name="operation"/>; throws when <paramref name="simulateFailure"/> is set.</summary>
    /// <exception cref="SampleServiceException">The simulated failure.</exception>
    public async Task<ApiResponse> CallAsync(string operation, bool simulateFailure, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.RiskyApi, cancellationToken);
        if (simulateFailure)
        {
            throw new SampleServiceException($"{operation} failed: upstream returned 500.");
        }

        return new ApiResponse($"/v1/{operation}", 200, $"{operation}: ok");
    }
}
