namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>Waits for a condition by polling, with a deadline; never sleeps for a fixed time in place of a check.</summary>
internal static class Poll
{
    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds, and returns the value that satisfied it.</summary>
    /// <exception cref="Xunit.Sdk.XunitException">The deadline passed; the message names the wait and the last value seen.</exception>
    public static async Task<T> UntilAsync<T>(string what, Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, Func<T, string>? describe = null, TimeSpan? interval = null)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var pause = interval ?? TimeSpan.FromMilliseconds(200);
        T last = default!;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                lastError = ex;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                var seen = lastError is not null ? $"last error: {lastError.Message}" : $"last seen: {(describe is not null && last is not null ? describe(last) : last?.ToString())}";
                throw new Xunit.Sdk.XunitException($"Timed out after {timeout} waiting for {what}; {seen}.");
            }

            await Task.Delay(pause);
        }
    }

    /// <summary>Polls the client until the run reaches <paramref name="status"/> (and <paramref name="extra"/> holds).</summary>
    public static Task<RunInfo> RunStatusAsync(ICronflowClient client, string runId, RunStatus status, Func<RunInfo, bool>? extra = null, TimeSpan? timeout = null) =>
        UntilAsync<RunInfo?>(
            $"run {runId} to be {status}",
            () => client.GetRunAsync(runId),
            run => run is not null && run.Status == status && (extra?.Invoke(run) ?? true),
            timeout ?? TimeSpan.FromSeconds(60),
            run => run is null ? "no run" : $"{run.Status} {run.Error}")!;
}
