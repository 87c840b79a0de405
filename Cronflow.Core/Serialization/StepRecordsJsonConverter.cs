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

        if (value is JsonStepRecords { Json: { } json })
        {
            json.WriteTo(writer);
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
/// Step records held as the JSON array they were read from until one of them is read. Reading them is pure, so two
/// threads that read at once at worst both build the same list, and one of them is kept.
/// </summary>
internal sealed class JsonStepRecords(JsonElement json, JsonSerializerOptions options) : IReadOnlyList<StepRecord>
{
    private List<StepRecord>? _records;

    /// <summary>The JSON array, while the records have not been built from it; null after.</summary>
    internal JsonElement? Json => Volatile.Read(ref _records) is null ? json : null;

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

            var built = json.Deserialize<List<StepRecord>>(options) ?? [];
            return Interlocked.CompareExchange(ref _records, built, null) ?? built;
        }
    }

    public IEnumerator<StepRecord> GetEnumerator() => Records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
