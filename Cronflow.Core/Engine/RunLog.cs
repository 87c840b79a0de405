using Microsoft.Extensions.Logging;

namespace Cronflow;

/// <summary>
/// The run logs of the interpreter (event ids 4501–4599), written through the orchestration's replay-safe logger
/// once each, in a scope carrying the workflow id and run id. Event id ranges: 4101–4199 HTTP API, 4201–4299
/// schedules, 4301–4399 hosts' schedule ticks, 4401–4499 engine filters, 4501–4599 runs, 4601–4699 dashboard.
/// </summary>
internal static partial class RunLog
{
    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Run {RunId} of workflow {WorkflowId} started")]
    public static partial void RunStarted(ILogger logger, string workflowId, string runId);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Information, Message = "Run {RunId} of workflow {WorkflowId} finished {Status} after {Seconds:0.###} s")]
    public static partial void RunFinished(ILogger logger, string workflowId, string runId, string status, double seconds);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Error, Message = "Run {RunId} of workflow {WorkflowId} failed: {ErrorType}: {ErrorMessage}")]
    public static partial void RunFailed(ILogger logger, string workflowId, string runId, string? errorType, string? errorMessage);

    [LoggerMessage(EventId = 4504, Level = LogLevel.Warning, Message = "Step {StepName} (attempt {Attempt}) of run {RunId} of workflow {WorkflowId} failed: {ErrorType}: {ErrorMessage}")]
    public static partial void StepFailed(ILogger logger, string workflowId, string runId, string stepName, int attempt, string errorType, string errorMessage);
}
