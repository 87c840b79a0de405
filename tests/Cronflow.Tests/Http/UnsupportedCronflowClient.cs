namespace Cronflow.Tests.Http;

/// <summary>
/// A client whose every call throws <see cref="NotSupportedException"/>: a test double overrides only the calls its
/// test expects, so any other call fails the test loudly.
/// </summary>
internal abstract class UnsupportedCronflowClient : ICronflowClient
{
    public virtual Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<RunInfo?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<RunInfo> WaitForRunAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task RaiseEventAsync(string runId, string eventName, object? payload, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task ResumeAsync(string token, object? payload, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<IReadOnlyList<string>> PublishEventAsync(string eventName, object? payload, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<string> ReplayAsync(string runId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<bool> PurgeRunAsync(string runId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
