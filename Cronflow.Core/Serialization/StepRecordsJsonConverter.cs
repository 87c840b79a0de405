using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Cronflow;

/// <summary>
/// Reads a run result's step records as one JSON value and turns them into <see cref="StepRecord"/>s only when they are
/// first read (<see cref="JsonStepRecords"/>): a client waiting for a run reads its result's status and output, and most
/// callers never look at every record (each with its own output, times and error). Writes any list as the array it is;
/// a list read here and never touched is written back as the JSON it was read from.
/// </summary>
internal sealed class StepRecordsJsonConverter : JsonConverter<IReadOnlyList<StepRecord>>
{
    /// <summary>A <c>null</c> reads as no records, as the list it stands for was never null.</summary>
    public override bool HandleNull => true;

    public override IReadOnlyList<StepRecord> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"Expected the step records as a JSON array, not {reader.TokenType}.");
        }

        return new JsonStepRecords(JsonElement.ParseValue(ref reader), options);
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<StepRecord>? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteStartArray();
            writer.WriteEndArray();
            return;
        }

        if (value is JsonStepRecords unread && unread.TryWriteUnread(writer))
        {
            return;
        }

        writer.WriteStartArray();
        var record = (JsonTypeInfo<StepRecord>)options.GetTypeInfo(typeof(StepRecord));
        foreach (var step in value)
        {
            JsonSerializer.Serialize(writer, step, record);
        }

        writer.WriteEndArray();
    }
}

/// <summary>
/// Step records held as the JSON array they were read from (a parsed element, or the array's UTF-8 text) until one of
/// them is read. Reading them is pure, so two threads that read at once at worst both build the same list, and one of
/// them is kept.
/// </summary>
internal sealed class JsonStepRecords : IReadOnlyList<StepRecord>
{
    private readonly JsonElement _element;
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly JsonSerializerOptions _options;
    private List<StepRecord>? _records;

    /// <summary>Records to be built from a parsed JSON array.</summary>
    public JsonStepRecords(JsonElement json, JsonSerializerOptions options)
    {
        _element = json;
        _options = options;
    }

    /// <summary>Records to be built from the UTF-8 text of a JSON array already checked to be well formed.</summary>
    public JsonStepRecords(ReadOnlyMemory<byte> utf8, JsonSerializerOptions options)
    {
        _utf8 = utf8;
        _options = options;
    }

    /// <summary>Whether the records have not been built yet: the JSON they were read from is all there is.</summary>
    internal bool IsUnread => Volatile.Read(ref _records) is null;

    public int Count => Records.Count;

    public StepRecord this[int index] => Records[index];

    private List<StepRecord> Records
    {
        get
        {
            if (Volatile.Read(ref _records) is { } records)
            {
                return records;
            }

            var built = (_utf8.IsEmpty
                ? _element.Deserialize<List<StepRecord>>(_options)
                : JsonSerializer.Deserialize<List<StepRecord>>(_utf8.Span, _options)) ?? [];
            return Interlocked.CompareExchange(ref _records, built, null) ?? built;
        }
    }

    /// <summary>Writes the JSON the records were read from, if they were never built; false if they were.</summary>
    internal bool TryWriteUnread(Utf8JsonWriter writer)
    {
        if (!IsUnread)
        {
            return false;
        }

        if (_utf8.IsEmpty)
        {
            _element.WriteTo(writer);
        }
        else
        {
            writer.WriteRawValue(_utf8.Span, skipInputValidation: true);
        }

        return true;
    }

    public IEnumerator<StepRecord> GetEnumerator() => Records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
