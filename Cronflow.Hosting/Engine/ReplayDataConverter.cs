using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace Cronflow.Hosting;

/// <summary>
/// The shims' data converter: System.Text.Json with Cronflow's options, which reads a run's input and its step outcomes
/// once per history rather than once per episode. Every episode of an orchestration replays its whole history, and the
/// in-memory backend hands each episode the same string instances for the same events: a string read before gives the
/// object read then. The table holds its entries only as long as the strings live (the history that holds them), and
/// compares strings by reference, never by content.
/// </summary>
/// <remarks>
/// <para>
/// Only types the interpreter never changes are reused: <see cref="StepOutcome"/>, and a <see cref="RunInput"/> that is
/// neither a concurrency gate nor a nested loop (both build their next input from the one they were given). Their
/// <see cref="JsonElement"/>s own no pooled memory, so sharing them needs no disposal. Backends that read histories
/// from storage give new strings on every episode: those are simply read again.
/// </para>
/// <para>
/// What is kept lives as long as the history (until the run is purged), next to its string: only strings of at most
/// <see cref="MaxKeptLength"/> characters are kept, so that a large payload is not held twice in memory; longer ones
/// are read in every episode, as they were before.
/// </para>
/// </remarks>
internal sealed class ReplayDataConverter : DataConverter
{
    /// <summary>The longest string whose object is kept (in characters).</summary>
    internal const int MaxKeptLength = 8 * 1024;

    private readonly JsonDataConverter _inner;
    private readonly ConditionalWeakTable<string, object> _read = [];

    public ReplayDataConverter(JsonSerializerOptions options) => _inner = new JsonDataConverter(options);

    public override string? Serialize(object? value) => _inner.Serialize(value);

    public override object? Deserialize(string? data, Type targetType)
    {
        if (data is null || data.Length > MaxKeptLength || (targetType != typeof(StepOutcome) && targetType != typeof(RunInput)))
        {
            return _inner.Deserialize(data, targetType);
        }

        if (_read.TryGetValue(data, out var read) && read.GetType() == targetType)
        {
            return read;
        }

        var value = _inner.Deserialize(data, targetType);
        if (value is StepOutcome or RunInput { Gate: null, Loop: null })
        {
            _read.AddOrUpdate(data, value);
        }

        return value;
    }
}
