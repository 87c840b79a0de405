namespace Cronflow.Tests.Engine;

/// <summary>Polls a run until it reaches a status.</summary>
internal static class RunWaits
{
    public static async Task<RunInfo> WaitForStatus(ICronflowClient client, string runId, RunStatus status, Func<RunInfo, bool>? extra = null)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var run = await client.GetRunAsync(runId);
            if (run is not null && run.Status == status && (extra?.Invoke(run) ?? true))
            {
                return run;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Run {runId} never reached {status}; last: {run?.Status}.");
            await Task.Delay(5);
        }
    }
}
