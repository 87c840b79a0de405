namespace Cronflow;

/// <summary>
/// The client side of a workflow's <see cref="ConcurrencyGate"/>: starting the gate before runs of a workflow with a
/// concurrency cap are started. Unlike the gate itself, this is ordinary async code, outside the orchestration.
/// </summary>
internal static class ConcurrencyGateClient
{
    /// <summary>
    /// Makes sure the gate of <paramref name="workflowId"/> is running (clients call this before starting runs of a
    /// workflow with a concurrency cap). <paramref name="getState"/> reads an instance's state (null when absent);
    /// <paramref name="start"/> starts the gate, tolerating a concurrent start of the same id.
    /// </summary>
    public static async Task EnsureRunningAsync(string workflowId, int limit, Func<string, Task<InstanceState?>> getState, Func<string, RunInput, Task> start)
    {
        var id = ConcurrencyGate.InstanceId(workflowId);
        if (await getState(id).ConfigureAwait(false) is InstanceState.Running or InstanceState.Pending or InstanceState.Suspended)
        {
            return;
        }

        await start(id, ConcurrencyGate.Input(workflowId, limit)).ConfigureAwait(false);
    }
}
