using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow.Scheduling;

/// <summary>What one tick did.</summary>
/// <param name="From">The start of the window (exclusive).</param>
/// <param name="To">The end of the window (inclusive): the tick's "now".</param>
/// <param name="Started">Occurrences triggered (new runs, or runs another instance or an earlier tick had already started).</param>
/// <param name="Failed">Occurrences that could not be triggered; the next tick tries them again while they are in its window.</param>
internal sealed record ScheduleTickResult(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<DueOccurrence> Started, IReadOnlyList<DueOccurrence> Failed);

/// <summary>
/// Starts the due occurrences of every schedule through <see cref="ICronflowClient"/>, with deterministic run ids so
/// that each occurrence runs exactly once whatever the number of instances, ticks or restarts. Host-agnostic: the
/// Functions timer and the local host's ticker both call <see cref="TickAsync"/>.
/// </summary>
internal sealed partial class ScheduleDispatcher
{
    private readonly ICronflowClient _client;
    private readonly WorkflowRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ScheduleOptions _options;
    private readonly ILogger _logger;

    public ScheduleDispatcher(ICronflowClient client, WorkflowRegistry registry, TimeProvider timeProvider, ScheduleOptions? options = null, ILogger? logger = null)
    {
        _client = client;
        _registry = registry;
        _time = timeProvider;
        _options = options ?? new ScheduleOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Whether any registered workflow has a schedule (hosts can skip ticking otherwise).</summary>
    public bool HasSchedules => _registry.All.Any(w => w.Schedules.Count > 0);

    /// <summary>Starts every occurrence due since <paramref name="lastTick"/> (see <see cref="ScheduleCalculator.Window"/>).</summary>
    /// <param name="lastTick">When the previous tick ran, if known (a host's own memory, or the Functions timer's schedule status).</param>
    /// <param name="cancellationToken">Stops between occurrences.</param>
    public async Task<ScheduleTickResult> TickAsync(DateTimeOffset? lastTick, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (lastTick > now)
        {
            lastTick = null;
        }

        var (from, to) = ScheduleCalculator.Window(lastTick, now, _options);
        var due = ScheduleCalculator.GetDue(_registry.All, from, to, _options.MaxCatchUp);
        var started = new List<DueOccurrence>();
        var failed = new List<DueOccurrence>();
        foreach (var occurrence in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var trigger = new TriggerInfo { Kind = TriggerKind.Schedule, Source = occurrence.TriggerKey };
            try
            {
                await _client.TriggerAsync(occurrence.WorkflowId, occurrence.Payload, occurrence.RunId, trigger).ConfigureAwait(false);
                started.Add(occurrence);
            }
            catch (RunConflictException ex)
            {
                // The id is taken by a run with other input: the occurrence is not started twice, and nothing can fix it by retrying.
                LogConflict(_logger, occurrence.RunId, ex.Message);
                failed.Add(occurrence);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(_logger, ex, occurrence.RunId);
                failed.Add(occurrence);
            }
        }

        return new ScheduleTickResult(from, to, started, failed);
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Schedule occurrence {RunId} not started: {Reason}")]
    private static partial void LogConflict(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Error, Message = "Schedule occurrence {RunId} could not be started; the next tick retries it while it is in the window")]
    private static partial void LogFailed(ILogger logger, Exception exception, string runId);
}
