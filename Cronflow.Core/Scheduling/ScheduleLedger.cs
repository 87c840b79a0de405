using System.Collections.Concurrent;

namespace Cronflow.Scheduling;

/// <summary>
/// The backend's record of each schedule trigger: one small orchestration instance per trigger
/// (<c>cronflow-schedule~&lt;workflowId&gt;~&lt;hash&gt;</c>, completed at once) whose input holds when a tick first saw the
/// trigger. With it, and with the occurrences' runs themselves (their ids are deterministic), a tick knows from the
/// backend alone which occurrences of the catch-up window are still to start: nothing about schedules lives only in
/// process memory.
/// </summary>
internal interface IScheduleLedger
{
    /// <summary>
    /// When a tick first saw <paramref name="triggerKey"/> of <paramref name="workflowId"/>: read from the backend, or
    /// recorded there as <paramref name="now"/> by the first caller (concurrent callers agree on the first record).
    /// </summary>
    Task<DateTimeOffset> GetSinceAsync(string workflowId, string triggerKey, DateTimeOffset now);
}

/// <summary>Ids and inputs of the schedule records.</summary>
internal static class ScheduleLedger
{
    /// <summary>The record's instance id; the separator keeps it out of run listings.</summary>
    public static string RecordId(string workflowId, string triggerKey) =>
        $"cronflow-schedule{RunInfoMapper.ChildSeparator}{workflowId}{RunInfoMapper.ChildSeparator}{ScheduleCalculator.TriggerHash(triggerKey)}";

    public static RunInput Input(string workflowId, string triggerKey, DateTimeOffset since) =>
        new() { WorkflowId = workflowId, Schedule = new ScheduleRecord { Key = triggerKey, Since = since } };

    /// <summary>The time a record holds, or null when the instance is absent or not a schedule record.</summary>
    public static DateTimeOffset? ReadSince(InstanceSnapshot? snapshot) => RunInfoMapper.ReadInput(snapshot?.SerializedInput)?.Schedule?.Since;
}

/// <summary>
/// What a process remembers between ticks, only to save backend reads: the record times already read and the runs known
/// to exist. Losing it (a restart, a new Functions instance) costs a few reads, never an occurrence.
/// </summary>
internal sealed class ScheduleMemory
{
    public ConcurrentDictionary<string, DateTimeOffset> Since { get; } = new(StringComparer.Ordinal);

    /// <summary>Run ids of occurrences known to have a run, with their occurrence time (pruned as they leave the window).</summary>
    public ConcurrentDictionary<string, DateTimeOffset> Started { get; } = new(StringComparer.Ordinal);
}
