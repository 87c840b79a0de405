using System.Runtime.InteropServices;
using System.Text.Json;

namespace Cronflow;

/// <summary>Where a sequence of nodes reads and writes <c>Last</c> and step outputs.</summary>
internal sealed class Scope
{
    private readonly StoredOutputs? _stored;
    private readonly Scope? _parent;

    // Store keys of the outputs in this scope that are in the output store, by name.
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

    /// <summary>A scope at the top of an orchestration instance (the run's, or a chunk's or nested loop's).</summary>
    /// <param name="stored">The orchestration's record of which outputs are in the output store, if it has one.</param>
    /// <param name="last">The scope's initial <c>Last</c>.</param>
    /// <param name="items">The for-each items the scope is inside of, outermost first.</param>
    /// <param name="record">Whether nodes in the scope get step records.</param>
    public Scope(StoredOutputs? stored, FlowValue last, IReadOnlyList<JsonElement> items, bool record)
        : this(stored, last, null, items, "", record)
    {
    }

    private Scope(StoredOutputs? stored, FlowValue last, Scope? parent, IReadOnlyList<JsonElement> items, string key, bool record)
    {
        _stored = stored;
        Last = last;
        _parent = parent;
        Items = items;
        Key = key;
        Record = record;
    }

    public FlowValue Last { get; set; }

    public Dictionary<string, FlowValue> Outputs { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<JsonElement> Items { get; }

    /// <summary>The scope's key: empty for the run, then <c>|path#item</c> per for-each level.</summary>
    public string Key { get; }

    /// <summary>Whether nodes in this scope get step records (not inside for-each items).</summary>
    public bool Record { get; }

    /// <summary>
    /// Size of the outputs visible from this scope that travel inline in step requests (those not in the output
    /// store), in bytes of UTF-8 JSON.
    /// </summary>
    public long InlineBytes => _ownInlineBytes + (_parent?.InlineBytes ?? 0);

    private long _ownInlineBytes;

    public void Set(string name, FlowValue value)
    {
        if (Outputs.TryGetValue(name, out var previous) && !_keys.Remove(name))
        {
            _ownInlineBytes -= Size(previous);
        }

        Outputs[name] = value;
        if (_stored?.KeyOf(value) is { } key)
        {
            _keys[name] = key;
        }
        else
        {
            _ownInlineBytes += Size(value);
        }
    }

    public Scope Child(FlowValue last, JsonElement item, string keySegment) =>
        new(_stored, last, this, [.. Items, item], Key + "|" + keySegment, record: false);

    public Scope Snapshot()
    {
        var copy = new Scope(_stored, Last, _parent, Items, Key, Record) { _ownInlineBytes = _ownInlineBytes };
        foreach (var (name, value) in Outputs)
        {
            copy.Outputs[name] = value;
        }

        foreach (var (name, key) in _keys)
        {
            copy._keys[name] = key;
        }

        return copy;
    }

    public StepOutputs View() => new(Outputs, _parent?.View());

    public FlowContext FlowContext(FlowValue payload, RunDetails run) => new(payload, Last, View(), run);

    public Dictionary<string, JsonElement?>? Flatten()
    {
        if (Outputs.Count == 0 && _parent is null)
        {
            return null;
        }

        var all = _parent?.Flatten() ?? new Dictionary<string, JsonElement?>(StringComparer.Ordinal);
        foreach (var (name, value) in Outputs)
        {
            all[name] = value.ToNullableJson();
        }

        return all;
    }

    /// <summary>
    /// What a step request carries of the outputs visible from this scope: the values of those not in the output
    /// store, and the store keys of the others (each null when empty).
    /// </summary>
    public (Dictionary<string, JsonElement?>? Inline, Dictionary<string, string>? Refs) Transport()
    {
        if (Outputs.Count == 0 && _parent is null)
        {
            return (null, null);
        }

        var inline = new Dictionary<string, JsonElement?>(StringComparer.Ordinal);
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(inline, refs);
        return (inline.Count == 0 ? null : inline, refs.Count == 0 ? null : refs);
    }

    private void Collect(Dictionary<string, JsonElement?> inline, Dictionary<string, string> refs)
    {
        _parent?.Collect(inline, refs);
        foreach (var (name, value) in Outputs)
        {
            if (_keys.TryGetValue(name, out var key))
            {
                refs[name] = key;
                inline.Remove(name);
            }
            else
            {
                inline[name] = value.ToNullableJson();
                refs.Remove(name);
            }
        }
    }

    private static long Size(FlowValue value) => value.IsNull ? 4 : JsonMarshal.GetRawUtf8Value(value.Json).Length;
}

/// <summary>
/// Which step output values of an orchestration episode are in the output store, and under which key: filled from the
/// step activities' results (recorded in the history, so replays fill it alike).
/// </summary>
internal sealed class StoredOutputs
{
    private readonly Dictionary<FlowValue, string> _keys = new(ReferenceEqualityComparer.Instance);

    public void Add(FlowValue value, string key) => _keys[value] = key;

    public string? KeyOf(FlowValue value) => _keys.GetValueOrDefault(value);
}
