using System.Runtime.InteropServices;
using System.Text.Json;

namespace Cronflow;

/// <summary>Where a sequence of nodes reads and writes <c>Last</c> and step outputs.</summary>
internal sealed class Scope
{
    private readonly StoredOutputs? _stored;
    private readonly Scope? _parent;

    // Store references of the outputs in this scope that are in the output store, by name. An output inherited by a
    // chunk or a nested loop from the instance that started it may be here without a value in Outputs: the
    // orchestration then holds it only by reference, and fetches its value when a condition or selector reads it.
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

    private FlowValue _last;

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
        _last = last;
        _parent = parent;
        Items = items;
        Key = key;
        Record = record;
    }

    /// <summary>The output of the most recent node; <see cref="FlowValue.Null"/> while it is held only by reference (<see cref="LastReference"/>).</summary>
    public FlowValue Last
    {
        get => _last;
        set
        {
            _last = value;
            LastReference = null;
        }
    }

    /// <summary>
    /// Set while <c>Last</c> is an output this orchestration holds only by reference (inherited from the instance that
    /// started it): its store reference.
    /// </summary>
    public string? LastReference { get; private set; }

    /// <summary>The for-each item this scope runs, as its first <c>Last</c> (null outside items).</summary>
    public FlowValue? Item { get; private init; }

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
        if (Outputs.TryGetValue(name, out var previous))
        {
            if (!_keys.Remove(name))
            {
                _ownInlineBytes -= Size(previous);
            }
        }
        else
        {
            _keys.Remove(name);
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

    /// <summary>Sets an output that this orchestration holds only by its store reference (see <see cref="StoredOutputs.Resolve"/>).</summary>
    public void SetReference(string name, string reference)
    {
        if (Outputs.Remove(name, out var previous) && !_keys.ContainsKey(name))
        {
            _ownInlineBytes -= Size(previous);
        }

        _keys[name] = reference;
    }

    /// <summary>Sets <c>Last</c> to an output held only by its store reference.</summary>
    public void SetLastReference(string reference)
    {
        _last = FlowValue.Null;
        LastReference = reference;
    }

    /// <summary>
    /// The store reference of <c>Last</c>, when it is in the output store: then a request carries the reference
    /// instead of the value.
    /// </summary>
    public string? LastKey => LastReference ?? _stored?.KeyOf(_last);

    public Scope Child(FlowValue last, JsonElement item, string keySegment) =>
        new(_stored, last, this, [.. Items, item], Key + "|" + keySegment, record: false) { Item = last };

    public Scope Snapshot()
    {
        var copy = new Scope(_stored, _last, _parent, Items, Key, Record) { _ownInlineBytes = _ownInlineBytes, LastReference = LastReference, Item = Item };
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

    public StepOutputs View()
    {
        var parent = _parent?.View();
        if (_stored is null || _keys.Count == 0 || _keys.Count == CountStoredValues())
        {
            return new(Outputs, parent);
        }

        // Some outputs are held only by reference: reading one asks the orchestration to fetch it.
        var stored = _stored;
        var references = _keys.Where(k => !Outputs.ContainsKey(k.Key)).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);
        return new(Outputs, references.Keys, name => stored.Resolve(references[name]), parent);
    }

    private int CountStoredValues()
    {
        var count = 0;
        foreach (var name in _keys.Keys)
        {
            count += Outputs.ContainsKey(name) ? 1 : 0;
        }

        return count;
    }

    /// <summary>The context of conditions and selectors evaluated in this scope.</summary>
    /// <param name="payload">The run's payload; null when this orchestration holds it only by reference.</param>
    /// <param name="readPayload">Reads the payload held by reference (see <see cref="StoredOutputs.Resolve"/>), when <paramref name="payload"/> is null.</param>
    /// <param name="run">The run.</param>
    public FlowContext FlowContext(FlowValue? payload, Func<FlowValue> readPayload, RunDetails run)
    {
        if (LastReference is not { } reference || _stored is not { } stored)
        {
            if (payload is { } held)
            {
                return new(held, Last, View(), run);
            }

            var last = Last;
            return new(readPayload, () => last, View(), run);
        }

        return new(payload is { } value ? () => value : readPayload, () => stored.Resolve(reference), View(), run);
    }

    /// <summary>The values of every output visible from this scope (null when there are none); all have values at the top of a run.</summary>
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
    /// store, and the store references of the others (each null when empty).
    /// </summary>
    /// <param name="instanceId">
    /// Null for a request of this orchestration; for the input of another instance (a chunk, a nested loop), this
    /// orchestration's instance id, which qualifies the references of its own outputs (<see cref="StepOutputKeys.Qualify"/>).
    /// </param>
    public (Dictionary<string, JsonElement?>? Inline, Dictionary<string, string>? Refs) Transport(string? instanceId = null)
    {
        if (Outputs.Count == 0 && _keys.Count == 0 && _parent is null)
        {
            return (null, null);
        }

        var inline = new Dictionary<string, JsonElement?>(StringComparer.Ordinal);
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(inline, refs, instanceId);
        return (inline.Count == 0 ? null : inline, refs.Count == 0 ? null : refs);
    }

    /// <summary>
    /// The name under which <see cref="Transport"/> carries <paramref name="value"/> inline, when it is the very output
    /// of a step visible from this scope (not one in the output store, not one a nearer scope hides); null otherwise.
    /// </summary>
    public string? InlineNameOf(FlowValue value)
    {
        HashSet<string>? hidden = null;
        for (var scope = this; scope is not null; scope = scope._parent)
        {
            foreach (var (name, output) in scope.Outputs)
            {
                if (ReferenceEquals(output, value) && !scope._keys.ContainsKey(name) && !(hidden?.Contains(name) ?? false))
                {
                    return name;
                }
            }

            if (scope._parent is not null)
            {
                hidden ??= new HashSet<string>(StringComparer.Ordinal);
                hidden.UnionWith(scope.Outputs.Keys);
                hidden.UnionWith(scope._keys.Keys);
            }
        }

        return null;
    }

    private void Collect(Dictionary<string, JsonElement?> inline, Dictionary<string, string> refs, string? instanceId)
    {
        _parent?.Collect(inline, refs, instanceId);
        foreach (var (name, value) in Outputs)
        {
            if (!_keys.ContainsKey(name))
            {
                inline[name] = value.ToNullableJson();
                refs.Remove(name);
            }
        }

        foreach (var (name, key) in _keys)
        {
            refs[name] = instanceId is null ? key : StepOutputKeys.Qualify(instanceId, key);
            inline.Remove(name);
        }
    }

    private static long Size(FlowValue value) => value.IsNull ? 4 : JsonMarshal.GetRawUtf8Value(value.Json).Length;
}

/// <summary>
/// Which step output values of an orchestration episode are in the output store, and under which reference: filled
/// from the step activities' results (recorded in the history, so replays fill it alike). Also the values this
/// orchestration fetched of outputs it holds only by reference.
/// </summary>
internal sealed class StoredOutputs
{
    // Created with the first stored output: most runs have none.
    private Dictionary<FlowValue, string>? _keys;
    private Dictionary<string, FlowValue>? _fetched;

    private Dictionary<FlowValue, string> Keys => _keys ??= new(ReferenceEqualityComparer.Instance);

    public void Add(FlowValue value, string key) => Keys[value] = key;

    /// <summary>
    /// Notes <paramref name="combined"/>, the array of <paramref name="parts"/>, as a composite reference when every part
    /// is a stored output: later requests then carry the parts' references instead of the array.
    /// </summary>
    public FlowValue Combined(FlowValue combined, IReadOnlyList<FlowValue> parts)
    {
        if (_keys is null || parts.Count == 0)
        {
            return combined;
        }

        var keys = new string[parts.Count];
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] is null || !_keys.TryGetValue(parts[i], out var key))
            {
                return combined;
            }

            keys[i] = key;
        }

        _keys[combined] = StepOutputKeys.Composite(keys);
        return combined;
    }

    public string? KeyOf(FlowValue value) => _keys?.GetValueOrDefault(value);

    /// <summary>
    /// The reference the last <see cref="Resolve"/> could not answer: the orchestration fetches its value (through
    /// the step activity, so that the history records it) and evaluates the condition or selector again.
    /// </summary>
    private string? _missing;

    /// <summary>The value of an output held by reference, if this orchestration has fetched it; otherwise notes it for <see cref="TakeMissing"/> and throws.</summary>
    public FlowValue Resolve(string reference)
    {
        if (_fetched is not null && _fetched.TryGetValue(reference, out var value))
        {
            return value;
        }

        _missing ??= reference;
        throw new StepOutputNotFetchedException(reference);
    }

    /// <summary>Records a fetched value; the fetched value keeps its reference, so later requests still carry only the reference.</summary>
    public void AddFetched(string reference, FlowValue value)
    {
        (_fetched ??= new(StringComparer.Ordinal))[reference] = value;
        Keys[value] = reference;
        _missing = null;
    }

    /// <summary>Takes the reference that a condition or selector missed, if any.</summary>
    public string? TakeMissing()
    {
        var missing = _missing;
        _missing = null;
        return missing;
    }
}

/// <summary>
/// Thrown inside the orchestration when a condition or selector reads an output that the orchestration holds only by
/// reference and has not fetched yet; the interpreter fetches it and evaluates again (never seen by users, unless
/// their code catches it, which the interpreter notices).
/// </summary>
internal sealed class StepOutputNotFetchedException(string reference)
    : Exception($"The step output '{reference}' is held by reference and is being fetched.");
