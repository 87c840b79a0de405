namespace Cronflow;

/// <summary>
/// Starts, inspects and steers runs. The HTTP API performs the same operations. Every method takes a
/// <see cref="CancellationToken"/> last: it ends a wait at once and is passed to the backend's own calls (an operation
/// the backend has already accepted, such as a start or a cancellation, may still take effect).
/// </summary>
public interface ICronflowClient
{
    /// <summary>Starts a run of <paramref name="workflowId"/> and returns its id at once.</summary>
    /// <param name="workflowId">A registered workflow id.</param>
    /// <param name="payload">The run's input: any JSON-serializable value, a <see cref="FlowValue"/> or a JsonElement.</param>
    /// <param name="runId">
    /// An id to use. Triggering again with the same id and payload returns the same id without starting another run
    /// (idempotent); the same id with another workflow or payload throws <see cref="RunConflictException"/>.
    /// </param>
    /// <param name="cancellationToken">Ends the call; a start the backend has already accepted may still take effect.</param>
    /// <exception cref="WorkflowNotFoundException">The workflow is not registered.</exception>
    /// <exception cref="PayloadTooLargeException">The payload is over the configured limit.</exception>
    Task<string> TriggerAsync(string workflowId, object? payload, string? runId = null, CancellationToken cancellationToken = default);

    /// <summary>Starts a run with trigger details (used by webhooks, schedules and events).</summary>
    Task<string> TriggerAsync(string workflowId, object? payload, string? runId, TriggerInfo trigger, CancellationToken cancellationToken = default);

    /// <summary>Gets a run, or null when no run has that id.</summary>
    Task<RunInfo?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Waits until the run has finished (completed, failed or cancelled) and returns it.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="RunWaitTimeoutException">The run did not finish within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the run finished.</exception>
    Task<RunInfo> WaitForRunAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Cancels a run: it ends <see cref="RunStatus.Cancelled"/> with the reason.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    Task CancelAsync(string runId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Delivers an event to a run waiting in <c>WaitForEvent</c> (events that arrive early are kept).</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    Task RaiseEventAsync(string runId, string eventName, object? payload, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resumes a run paused in <c>HumanInTheLoop</c>. Throws <see cref="InvalidResumePayloadException"/> (naming the
    /// field) when <c>approved</c> is not a boolean or <c>approvedAt</c> not an ISO 8601 date and time, and
    /// <see cref="ResumeTokenNotFoundException"/> when no run waits on the token; in both cases nothing is sent.
    /// </summary>
    Task ResumeAsync(string token, object? payload, CancellationToken cancellationToken = default);

    /// <summary>Starts one run of every workflow registered with <c>OnEvent(eventName)</c>; returns their run ids.</summary>
    Task<IReadOnlyList<string>> PublishEventAsync(string eventName, object? payload, CancellationToken cancellationToken = default);

    /// <summary>Starts a new run of the same workflow with the original payload; returns the new run id.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    Task<string> ReplayAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Lists runs, newest first.</summary>
    Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a run that has ended (completed, failed or cancelled) for good, like Durable Task's purge: its history
    /// and state, those of the orchestrations it started (for-each chunks, nested loops, subflows), and every step
    /// output it stored. Afterwards <see cref="GetRunAsync"/> returns null for it.
    /// </summary>
    /// <returns>True when the run existed and was purged; false when no run has that id.</returns>
    /// <exception cref="RunNotEndedException">The run, or an orchestration it started, has not ended; nothing is deleted.</exception>
    Task<bool> PurgeRunAsync(string runId, CancellationToken cancellationToken = default);
}

/// <summary>A filter for <see cref="ICronflowClient.ListRunsAsync"/>.</summary>
public sealed record RunQuery
{
    /// <summary>Only runs of this workflow.</summary>
    public string? WorkflowId { get; init; }

    /// <summary>Only runs in this state.</summary>
    public RunStatus? Status { get; init; }

    /// <summary>Only runs whose id starts with this text (case-sensitive).</summary>
    public string? RunIdPrefix { get; init; }

    /// <summary>Only runs created at or after this time.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only runs created before this time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Page size (1–1000, default 100).</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>The continuation token of the previous page.</summary>
    public string? ContinuationToken { get; init; }
}

/// <summary>A page of runs.</summary>
/// <param name="Runs">The runs on this page (without per-step outputs).</param>
/// <param name="ContinuationToken">Pass it back for the next page; null on the last page.</param>
public sealed record RunPage(IReadOnlyList<RunInfo> Runs, string? ContinuationToken);
