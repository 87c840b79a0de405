using System.Collections.Concurrent;
using System.Diagnostics;

namespace Cronflow.Benchmarks.Harness;

/// <summary>Wall-clock marks taken inside activities (step bodies), by instance and name, to time what happens between them.</summary>
internal static class Stamps
{
    private static readonly ConcurrentDictionary<string, long> Marks = new(StringComparer.Ordinal);

    public static void Mark(string instanceId, string what) => Marks[Key(instanceId, what)] = Stopwatch.GetTimestamp();

    public static long Get(string instanceId, string what) =>
        Marks.TryGetValue(Key(instanceId, what), out var mark)
            ? mark
            : throw new InvalidOperationException($"No mark '{what}' was taken for instance {instanceId}.");

    public static void Clear(string instanceId, params string[] names)
    {
        foreach (var name in names)
        {
            Marks.TryRemove(Key(instanceId, name), out _);
        }
    }

    private static string Key(string instanceId, string what) => instanceId + "/" + what;
}
