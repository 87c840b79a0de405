using Microsoft.Extensions.Logging;

namespace Cronflow;

/// <summary>
/// Every log message of Cronflow, in one catalogue with one event-id range per area (ids are unique across the
/// project): 4101–4199 HTTP API, 4201–4299 schedules, 4301–4399 the hosts' schedule ticks, 4401–4499 the embedded
/// host's engine filters, 4501–4599 runs, 4601–4699 the dashboard. Logger categories are the constants below.
/// </summary>
internal static partial class Log
{
    /// <summary>The category of the HTTP API's logs.</summary>
    public const string HttpCategory = "Cronflow.Http";

    /// <summary>The category of the schedule logs.</summary>
    public const string SchedulesCategory = "Cronflow.Schedules";

    /// <summary>The category of the embedded engine's logs.</summary>
    public const string EngineCategory = "Cronflow.Engine";

    /// <summary>The category of the run logs.</summary>
    public const string RunsCategory = "Cronflow.Runs";

    /// <summary>The category of the dashboard's logs.</summary>
    public const string DashboardCategory = "Cronflow.Dashboard";

    // HTTP API (4101–4199)

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Cronflow API request {Method} {Path} failed")]
    public static partial void ApiRequestFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Webhook delivery to {Path} rejected: bad or missing signature")]
    public static partial void WebhookBadSignature(ILogger logger, string path);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Webhook delivery to {Path} rejected: its signed timestamp is outside the tolerance")]
    public static partial void WebhookStaleSignature(ILogger logger, string path);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Cronflow API request {Method} {Path} answered 503: the backend is unavailable")]
    public static partial void ApiBackendUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Cronflow API request {Method} {Path} answered 503: the backend did not answer within {Seconds} s")]
    public static partial void ApiBackendTimeout(ILogger logger, string method, string path, double seconds);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Cronflow API request {Method} {Path} was rejected as invalid")]
    public static partial void ApiRequestInvalid(ILogger logger, Exception exception, string method, string path);

    // Schedules (4201–4299)

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Schedule occurrence {RunId} not started: {Reason}")]
    public static partial void ScheduleOccurrenceNotStarted(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Error, Message = "Schedule occurrence {RunId} could not be started; the next tick retries it while it is in the window")]
    public static partial void ScheduleOccurrenceFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "The schedule record of {WorkflowId} ({TriggerKey}) could not be read; the next tick retries")]
    public static partial void ScheduleRecordFailed(ILogger logger, Exception exception, string workflowId, string triggerKey);

    // Schedule ticks of the hosts (4301–4399)

    [LoggerMessage(EventId = 4301, Level = LogLevel.Error, Message = "A schedule tick failed; the next tick starts whatever is still due in the catch-up window")]
    public static partial void ScheduleTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Schedule tick: {Started} occurrence(s) triggered (new or already running), {Failed} failed, window ({From:o}, {To:o}]")]
    public static partial void FunctionsScheduleTick(ILogger logger, int started, int failed, DateTimeOffset from, DateTimeOffset to);

    // Engine filters of the embedded host (4401–4499)

    [LoggerMessage(EventId = 4401, Level = LogLevel.Warning, Message = "Dropped a repeated {EventType} for scheduled id {ScheduledId} of instance {InstanceId}: the history already has a result for it")]
    public static partial void RepeatedResultDropped(ILogger logger, string eventType, int scheduledId, string instanceId);

    [LoggerMessage(EventId = 4402, Level = LogLevel.Warning, Message = "A step's message of run {RunId} could not be completed or abandoned on storage ({Error}); it will be taken again when storage is back")]
    public static partial void StepMessageReleased(ILogger logger, string runId, string error);

    [LoggerMessage(EventId = 4403, Level = LogLevel.Warning, Message = "The Azure Storage backend has no field {Field}: a step whose result is lost in a storage outage waits for a host restart")]
    public static partial void StepMessageTableMissing(ILogger logger, string field);

    // Runs (4501–4599): written through the orchestration's replay-safe logger, once each, in a scope with the workflow id and run id

    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Run {RunId} of workflow {WorkflowId} started")]
    public static partial void RunStarted(ILogger logger, string workflowId, string runId);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Information, Message = "Run {RunId} of workflow {WorkflowId} finished {Status} after {Seconds:0.###} s")]
    public static partial void RunFinished(ILogger logger, string workflowId, string runId, string status, double seconds);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Error, Message = "Run {RunId} of workflow {WorkflowId} failed: {ErrorType}: {ErrorMessage}")]
    public static partial void RunFailed(ILogger logger, string workflowId, string runId, string? errorType, string? errorMessage);

    [LoggerMessage(EventId = 4504, Level = LogLevel.Warning, Message = "Step {StepName} (attempt {Attempt}) of run {RunId} of workflow {WorkflowId} failed: {ErrorType}: {ErrorMessage}")]
    public static partial void StepFailed(ILogger logger, string workflowId, string runId, string stepName, int attempt, string errorType, string errorMessage);

    // Dashboard (4601–4699)

    [LoggerMessage(EventId = 4601, Level = LogLevel.Error, Message = "Cronflow dashboard request {Method} {Path} failed")]
    public static partial void DashboardRequestFailed(ILogger logger, Exception exception, string method, string path);
}
