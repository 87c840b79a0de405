using System.Collections.Concurrent;
using System.Text.Json;

namespace Cronflow;

/// <summary>
/// Where step outputs too large to travel inline live while their run is in flight: written once by the activity that
/// produced the output, read by reference by later steps, deleted with the run (see docs/architecture.md, "Step
/// outputs: stored once, passed by reference").
/// </summary>
internal interface IStepOutputStore
{
    /// <summary>Stores <paramref name="output"/> under a fresh key below the run and instance, and returns the key.</summary>
    Task<string> PutAsync(string runId, string instanceId, JsonElement output, CancellationToken cancellationToken);

    /// <summary>Reads the output stored under <paramref name="key"/>; throws <see cref="StepOutputUnavailableException"/> when it cannot.</summary>
    /// <remarks>Synchronous: step bodies read <c>ctx.Steps</c> synchronously, and only the outputs they touch are read.</remarks>
    JsonElement Get(string key);

    /// <summary>
    /// The orchestration instance that scheduled the outputs ended: nothing reads them any more. A hint: stores that
    /// hold outputs in memory free them; durable stores keep them until <see cref="DeleteRunAsync"/>.
    /// </summary>
    void InstanceEnded(string runId, string instanceId);

    /// <summary>Deletes every output of the run (its own and its chunks').</summary>
    Task DeleteRunAsync(string runId, CancellationToken cancellationToken);
}

/// <summary>
/// Keys of the outputs in a store: <c>&lt;run&gt;/&lt;instance&gt;/&lt;id&gt;</c>, unique per write. Step requests and
/// results carry only the id (the run and instance are the request's own), which keeps a reference small.
/// </summary>
internal static class StepOutputKeys
{
    /// <summary>
    /// A fresh key: 64 random bits, new for every write, so a duplicate execution of an activity never overwrites the
    /// output that the orchestration's history recorded.
    /// </summary>
    public static string New(string runId, string instanceId) =>
        Prefix(runId, instanceId) + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <summary>The id part of <paramref name="key"/>, as requests and results carry it.</summary>
    public static string Id(string key) => key[(key.LastIndexOf('/') + 1)..];

    public static string Prefix(string runId, string instanceId) => $"{runId}/{instanceId}/";

    /// <summary>
    /// The reference by which another instance of the run (a chunk, a nested loop) names an output that
    /// <paramref name="instanceId"/> stored: <c>&lt;instance&gt;/&lt;id&gt;</c>. A reference that names its instance
    /// already is returned as it is.
    /// </summary>
    public static string Qualify(string instanceId, string reference) =>
        IsComposite(reference)
            ? Composite(Parts(reference).Select(part => Qualify(instanceId, part)).ToList())
            : reference.Contains('/', StringComparison.Ordinal) ? reference : instanceId + "/" + reference;

    /// <summary>
    /// The reference of an array whose every element is a stored output (a parallel block's or a for-each's combined
    /// output): the JSON array of the elements' references. Reading it reads each part and rebuilds the array.
    /// </summary>
    public static string Composite(IReadOnlyList<string> parts) => JsonSerializer.Serialize(parts);

    /// <summary>
    /// Whether <paramref name="reference"/> is a composite one (<see cref="Composite"/>). A single reference ends with
    /// its hexadecimal id, never with <c>]</c>, so a run id that starts with <c>[</c> does not make it look like one.
    /// </summary>
    public static bool IsComposite(string reference) => reference.StartsWith('[') && reference.EndsWith(']');

    public static IReadOnlyList<string> Parts(string reference) => JsonSerializer.Deserialize<string[]>(reference) ?? [];

    /// <summary>
    /// The full key of a reference carried by a request of <paramref name="instanceId"/>: a bare id names an output of
    /// that instance, a qualified one (<see cref="Qualify"/>) an output of the instance it names.
    /// </summary>
    public static string Resolve(string runId, string instanceId, string reference) =>
        reference.Contains('/', StringComparison.Ordinal) ? RunPrefix(runId) + reference : Prefix(runId, instanceId) + reference;

    /// <summary>The path of the orchestration's reads of outputs it holds only by reference (see <see cref="StepRequest.Read"/>).</summary>
    public const string ReadPath = "#read-output";

    public static string RunPrefix(string runId) => runId + "/";
}

/// <summary>The output store of the in-memory engine: outputs live in this process until their instance ends.</summary>
internal sealed class InProcessStepOutputStore : IStepOutputStore
{
    // Outputs by instance prefix ("run/instance/"), then by key.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, JsonElement>> _instances = new(StringComparer.Ordinal);

    /// <summary>How many instances hold outputs here.</summary>
    public int InstanceCount => _instances.Count;

    public Task<string> PutAsync(string runId, string instanceId, JsonElement output, CancellationToken cancellationToken)
    {
        var key = StepOutputKeys.New(runId, instanceId);
        _instances.GetOrAdd(StepOutputKeys.Prefix(runId, instanceId), _ => new(StringComparer.Ordinal))[key] = output.Clone();
        return Task.FromResult(key);
    }

    public JsonElement Get(string key)
    {
        var cut = key.LastIndexOf('/');
        if (cut > 0 && _instances.TryGetValue(key[..(cut + 1)], out var outputs) && outputs.TryGetValue(key, out var output))
        {
            return output;
        }

        throw new StepOutputUnavailableException(key, "it is not in this process's output store (the run ended, or the engine restarted)");
    }

    public void InstanceEnded(string runId, string instanceId) => _instances.TryRemove(StepOutputKeys.Prefix(runId, instanceId), out _);

    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken)
    {
        var prefix = StepOutputKeys.RunPrefix(runId);
        foreach (var instance in _instances.Keys)
        {
            if (instance.StartsWith(prefix, StringComparison.Ordinal))
            {
                _instances.TryRemove(instance, out _);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// A step read an earlier output that the output store could not supply. The step fails (its retry policy applies, and
/// the failure is reported); it is never run again behind the user's back.
/// </summary>
internal sealed class StepOutputUnavailableException(string key, string reason, Exception? inner = null)
    : CronflowException($"The step output stored as '{key}' could not be read: {reason}.", inner)
{
    public string Key { get; } = key;
}
