using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cronflow.Scheduling;

/// <summary>One occurrence of a schedule that is due, with the run id every instance computes for it.</summary>
/// <param name="WorkflowId">The workflow to start.</param>
/// <param name="TriggerKey">The trigger's stable key (<see cref="ScheduleTrigger.Key"/>).</param>
/// <param name="Occurrence">When the occurrence was due (UTC).</param>
/// <param name="RunId">The deterministic run id of this occurrence.</param>
internal sealed record DueOccurrence(string WorkflowId, string TriggerKey, DateTimeOffset Occurrence, string RunId)
{
    /// <summary>The run's payload: <c>{ "scheduledFor": "&lt;ISO-8601 UTC&gt;" }</c>, identical on every instance.</summary>
    public JsonElement Payload => ScheduleCalculator.Payload(Occurrence);
}

/// <summary>
/// Pure schedule arithmetic: which occurrences of which triggers fall in a window, and the run id of each. Every
/// instance computes the same ids, so an occurrence started by one is recognised by all (exactly one run each).
/// </summary>
internal static class ScheduleCalculator
{
    /// <summary>An upper bound on occurrences enumerated per trigger and window (a guard, far above any real need).</summary>
    private const int MaxEnumerated = 1_000_000;

    /// <summary>
    /// The window a tick at <paramref name="now"/> covers for a trigger first seen at <paramref name="since"/>: from
    /// <see cref="ScheduleOptions.Lookback"/> before <paramref name="since"/> (a new trigger catches up no further), never
    /// reaching further back than <see cref="ScheduleOptions.CatchUpWindow"/>. The start is exclusive, the end inclusive.
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset since, DateTimeOffset now, ScheduleOptions options)
    {
        var from = (since > now ? now : since) - options.Lookback;
        var earliest = now - options.CatchUpWindow;
        return (from < earliest ? earliest : from, now);
    }

    /// <summary>
    /// The occurrences of every schedule of <paramref name="workflows"/> in (<paramref name="from"/>, <paramref name="to"/>]:
    /// per trigger at most <paramref name="maxPerTrigger"/>, the newest ones; ordered by time, then workflow id.
    /// </summary>
    public static IReadOnlyList<DueOccurrence> GetDue(IEnumerable<WorkflowDefinition> workflows, DateTimeOffset from, DateTimeOffset to, int maxPerTrigger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerTrigger, 1);
        var due = new List<DueOccurrence>();
        foreach (var workflow in workflows)
        {
            foreach (var trigger in workflow.Schedules.DistinctBy(s => s.Key))
            {
                due.AddRange(GetDue(workflow.Id, trigger, from, to, maxPerTrigger));
            }
        }

        return Ordered(due);
    }

    /// <summary>The newest <paramref name="maxPerTrigger"/> occurrences of one trigger in (<paramref name="from"/>, <paramref name="to"/>], oldest first.</summary>
    public static IReadOnlyList<DueOccurrence> GetDue(string workflowId, ScheduleTrigger trigger, DateTimeOffset from, DateTimeOffset to, int maxPerTrigger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerTrigger, 1);
        var newest = new Queue<DateTimeOffset>();
        var next = trigger.NextAfter(from);
        for (var i = 0; next is { } at && at <= to && i < MaxEnumerated; i++)
        {
            newest.Enqueue(at);
            if (newest.Count > maxPerTrigger)
            {
                newest.Dequeue();
            }

            next = trigger.NextAfter(at);
        }

        return [.. newest.Select(at => new DueOccurrence(workflowId, trigger.Key, at.ToUniversalTime(), RunId(workflowId, trigger.Key, at)))];
    }

    /// <summary>Occurrences by time, then workflow id, then trigger key.</summary>
    public static IReadOnlyList<DueOccurrence> Ordered(IEnumerable<DueOccurrence> due) =>
        [.. due.OrderBy(d => d.Occurrence).ThenBy(d => d.WorkflowId, StringComparer.Ordinal).ThenBy(d => d.TriggerKey, StringComparer.Ordinal)];

    /// <summary>The first 8 hex digits of the SHA-256 of a trigger key.</summary>
    public static string TriggerHash(string triggerKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(triggerKey)))[..8];

    /// <summary>
    /// <c>sched-&lt;workflowId&gt;-&lt;8 hex of the trigger key's SHA-256&gt;-&lt;yyyyMMddTHHmmssZ&gt;</c>. Intervals are at least one
    /// second, so two occurrences of one trigger never share a second.
    /// </summary>
    public static string RunId(string workflowId, string triggerKey, DateTimeOffset occurrence)
    {
        var hash = TriggerHash(triggerKey);
        return $"sched-{workflowId}-{hash}-{occurrence.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
    }

    /// <summary>The payload of an occurrence's run.</summary>
    public static JsonElement Payload(DateTimeOffset occurrence)
    {
        var text = occurrence.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
        return JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["scheduledFor"] = text });
    }
}
