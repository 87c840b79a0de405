using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow.Scheduling;

/// <summary>What one tick did.</summary>
/// <param name="From">The start of the earliest trigger's window (exclusive).</param>
/// <param name="To">The end of the window (inclusive): the tick's "now".</param>
/// <param name="Started">Occurrences triggered (new runs, or runs another instance or an earlier tick had already started).</param>
/// <param name="Failed">Occurrences that could not be triggered; later ticks try them again while they are in the catch-up window.</param>
internal sealed record ScheduleTickResult(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<DueOccurrence> Started, IReadOnlyList<DueOccurrence> Failed);

/// <summary>
/// Starts the due occurrences of every schedule through <see cref="ICronflowClient"/>, with deterministic run ids so
/// that each occurrence runs exactly once whatever the number of instances, ticks or restarts. Host-agnostic: the
/// Functions timer and the local host's ticker both call <see cref="TickAsync"/>.
/// </summary>
/// <remarks>
/// Nothing the catch-up depends on lives in process memory: each trigger's first tick is recorded in the backend
/// (<see cref="IScheduleLedger"/>), and whether an occurrence has run is whether its run exists. So every tick
/// starts each occurrence of the catch-up window (since the trigger's record, at most <see cref="ScheduleOptions.MaxCatchUp"/>)
/// that has no run yet: one missed while no host ran, or whose start failed while storage was down, is started by the
/// first tick that can, as long as it is in the window. <see cref="ScheduleMemory"/> only saves reads.
/// </remarks>
internal sealed partial class ScheduleDispatcher
{
    private readonly ICronflowClient _client;
    private readonly IScheduleLedger? _ledger;
    private readonly WorkflowRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ScheduleOptions _options;
    private readonly ScheduleMemory _memory;
    private readonly ILogger _logger;

    public ScheduleDispatcher(ICronflowClient client, WorkflowRegistry registry, TimeProvider timeProvider, ScheduleOptions? options = null, ILogger? logger = null, ScheduleMemory? memory = null)
    {
        _client = client;
        _ledger = client as IScheduleLedger;
        _registry = registry;
        _time = timeProvider;
        _options = options ?? new ScheduleOptions();
        _options.Validate();
        _memory = memory ?? new ScheduleMemory();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Whether any registered workflow has a schedule (hosts can skip ticking otherwise).</summary>
    public bool HasSchedules => _registry.All.Any(w => w.Schedules.Count > 0);

    /// <summary>Starts every occurrence of the catch-up window that has no run yet (see <see cref="ScheduleCalculator.Window"/>).</summary>
    /// <param name="cancellationToken">Stops between occurrences.</param>
    public async Task<ScheduleTickResult> TickAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var earliest = now - _options.CatchUpWindow;
        foreach (var (runId, occurrence) in _memory.Started)
        {
            if (occurrence <= earliest)
            {
                _memory.Started.TryRemove(runId, out _);
            }
        }

        var due = new List<DueOccurrence>();
        var failed = new List<DueOccurrence>();
        var windowStart = now - _options.Lookback;
        foreach (var workflow in _registry.All)
        {
            foreach (var trigger in workflow.Schedules.DistinctBy(t => t.Key))
            {
                cancellationToken.ThrowIfCancellationRequested();
                DateTimeOffset since;
                try
                {
                    since = await SinceAsync(workflow.Id, trigger.Key, now).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The record cannot be read (storage down): start nothing of this trigger now; the next tick that
                    // reaches the backend finds the same occurrences still due.
                    Log.ScheduleRecordFailed(_logger, ex, workflow.Id, trigger.Key);
                    continue;
                }

                var (from, to) = ScheduleCalculator.Window(since, now, _options);
                windowStart = from < windowStart ? from : windowStart;
                due.AddRange(ScheduleCalculator.GetDue(workflow.Id, trigger, from, to, _options.MaxCatchUp));
            }
        }

        var started = new List<DueOccurrence>();
        foreach (var occurrence in ScheduleCalculator.Ordered(due))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_memory.Started.ContainsKey(occurrence.RunId))
            {
                started.Add(occurrence);
                continue;
            }

            var trigger = new TriggerInfo { Kind = TriggerKind.Schedule, Source = occurrence.TriggerKey };
            try
            {
                // An occurrence once begun is started and recorded: the token stops the tick between occurrences only.
                await _client.TriggerAsync(occurrence.WorkflowId, occurrence.Payload, occurrence.RunId, trigger, CancellationToken.None).ConfigureAwait(false);
                _memory.Started[occurrence.RunId] = occurrence.Occurrence;
                started.Add(occurrence);
            }
            catch (RunConflictException ex)
            {
                // The id is taken by a run with other input: the occurrence is not started twice, and nothing can fix it by retrying.
                Log.ScheduleOccurrenceNotStarted(_logger, occurrence.RunId, ex.Message);
                failed.Add(occurrence);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.ScheduleOccurrenceFailed(_logger, ex, occurrence.RunId);
                failed.Add(occurrence);
            }
        }

        return new ScheduleTickResult(windowStart, now, started, failed);
    }

    private async Task<DateTimeOffset> SinceAsync(string workflowId, string triggerKey, DateTimeOffset now)
    {
        var id = ScheduleLedger.RecordId(workflowId, triggerKey);
        if (_memory.Since.TryGetValue(id, out var known))
        {
            return known;
        }

        // A client without a backend record (a test double) falls back to this process's first tick.
        var since = _ledger is null ? now : await _ledger.GetSinceAsync(workflowId, triggerKey, now).ConfigureAwait(false);
        return _memory.Since.GetOrAdd(id, since);
    }
}
