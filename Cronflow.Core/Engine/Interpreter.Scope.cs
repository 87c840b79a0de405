using System.Runtime.InteropServices;
using System.Text.Json;

namespace Cronflow;

internal sealed partial class Interpreter
{
    /// <summary>Where a sequence of nodes reads and writes <c>Last</c> and step outputs.</summary>
    private sealed class Scope
    {
        private readonly Interpreter _owner;
        private readonly Scope? _parent;

        public Scope(Interpreter owner, FlowValue last, Scope? parent, IReadOnlyList<JsonElement> items, string key, bool record)
        {
            _owner = owner;
            Last = last;
            _parent = parent;
            Items = items;
            Key = key;
            Record = record;
        }

        public FlowValue Last { get; set; }

        public Dictionary<string, FlowValue> Outputs { get; } = new(StringComparer.Ordinal);

        public IReadOnlyList<JsonElement> Items { get; }

        /// <summary>The scope's key in the output cache: empty for the run, then <c>|path#item</c> per for-each level.</summary>
        public string Key { get; }

        /// <summary>Whether nodes in this scope get step records (not inside for-each items).</summary>
        public bool Record { get; }

        /// <summary>Size of the outputs visible from this scope, in bytes of UTF-8 JSON.</summary>
        public long Bytes => _ownBytes + (_parent?.Bytes ?? 0);

        private long _ownBytes;

        /// <summary>Whether this scope's outputs are in the host's output cache (see <see cref="Spill"/>).</summary>
        private bool _spilled;

        public void Set(string name, FlowValue value)
        {
            if (Outputs.TryGetValue(name, out var previous))
            {
                _ownBytes -= Size(previous);
            }

            Outputs[name] = value;
            _ownBytes += Size(value);
            if (_spilled)
            {
                _owner._cache?.Put(_owner._context.InstanceId, Key, name, value);
            }
        }

        /// <summary>
        /// Puts the outputs visible from this scope into the host's output cache, before the first step that does not
        /// carry them inline; outputs set afterwards follow as they are set. Small runs never touch the cache.
        /// </summary>
        public void Spill()
        {
            _parent?.Spill();
            if (_spilled || _owner._cache is not { } cache)
            {
                return;
            }

            foreach (var (name, value) in Outputs)
            {
                cache.Put(_owner._context.InstanceId, Key, name, value);
            }

            _spilled = true;
        }

        public Scope Child(FlowValue last, JsonElement item, string keySegment) =>
            new(_owner, last, this, [.. Items, item], Key + "|" + keySegment, record: false);

        public Scope Snapshot()
        {
            var copy = new Scope(_owner, Last, _parent, Items, Key, Record) { _ownBytes = _ownBytes, _spilled = _spilled };
            foreach (var (name, value) in Outputs)
            {
                copy.Outputs[name] = value;
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

        public List<string> Names()
        {
            var names = _parent?.Names() ?? [];
            names.AddRange(Outputs.Keys);
            return names;
        }

        private static long Size(FlowValue value) => value.IsNull ? 4 : JsonMarshal.GetRawUtf8Value(value.Json).Length;
    }
}
