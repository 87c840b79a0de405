using System.Text.Json;

namespace Cronflow;

/// <summary>
/// A JSON value flowing through a run: the payload, a step's output, an event's payload.
/// </summary>
/// <remarks>
/// Values are immutable. Reading a missing property or an out-of-range element gives a null value rather than
/// throwing, so that conditions such as <c>ctx.Payload["priority"].As&lt;string&gt;() == "high"</c> stay simple;
/// <see cref="As{T}"/> throws a <see cref="FlowValueException"/> when the JSON cannot become the requested type.
/// </remarks>
[System.Text.Json.Serialization.JsonConverter(typeof(FlowValueJsonConverter))]
public sealed class FlowValue : IEquatable<FlowValue>
{
    /// <summary>The JSON <c>null</c> value.</summary>
    public static FlowValue Null { get; } = new(CronflowJson.NullElement);

    private FlowValue(JsonElement json) => Json = json;

    /// <summary>The underlying JSON.</summary>
    public JsonElement Json { get; }

    /// <summary>True when the value is JSON <c>null</c> (or absent).</summary>
    public bool IsNull => Json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    /// <summary>The element at <paramref name="index"/> of a JSON array; null when out of range or not an array.</summary>
    public FlowValue this[int index] =>
        Json.ValueKind == JsonValueKind.Array && index >= 0 && index < Json.GetArrayLength()
            ? new FlowValue(Json[index])
            : Null;

    /// <summary>The property <paramref name="name"/> of a JSON object (exact name first, then case-insensitive); null when absent.</summary>
    public FlowValue this[string name]
    {
        get
        {
            if (Json.ValueKind != JsonValueKind.Object)
            {
                return Null;
            }

            if (Json.TryGetProperty(name, out var exact))
            {
                return new FlowValue(exact);
            }

            foreach (var property in Json.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return new FlowValue(property.Value);
                }
            }

            return Null;
        }
    }

    /// <summary>Number of elements when the value is an array, otherwise 0.</summary>
    public int Count => Json.ValueKind == JsonValueKind.Array ? Json.GetArrayLength() : 0;

    /// <summary>Converts the JSON to <typeparamref name="T"/> with <see cref="CronflowJson.Options"/>.</summary>
    /// <exception cref="FlowValueException">The JSON does not fit <typeparamref name="T"/>.</exception>
    public T As<T>()
    {
        if (typeof(T) == typeof(FlowValue))
        {
            return (T)(object)this;
        }

        if (typeof(T) == typeof(JsonElement))
        {
            return (T)(object)Json;
        }

        try
        {
            return Json.ValueKind == JsonValueKind.Undefined
                ? default!
                : Json.Deserialize<T>(CronflowJson.Options)!;
        }
        catch (JsonException ex)
        {
            throw new FlowValueException($"The value {Describe()} cannot be read as {typeof(T).Name}: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new FlowValueException($"The value {Describe()} cannot be read as {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    /// <summary>The elements of a JSON array (empty for anything else).</summary>
    public IEnumerable<FlowValue> Items()
    {
        if (Json.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var element in Json.EnumerateArray())
        {
            yield return new FlowValue(element);
        }
    }

    /// <summary>Wraps a JSON element (it is cloned, so the value outlives its document).</summary>
    public static FlowValue FromJson(JsonElement json) =>
        json.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? Null : new FlowValue(json.Clone());

    /// <summary>Parses JSON text.</summary>
    /// <exception cref="JsonException">The text is not valid JSON.</exception>
    public static FlowValue Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return FromJson(document.RootElement);
    }

    /// <summary>Serializes <paramref name="value"/> with <see cref="CronflowJson.Options"/>.</summary>
    public static FlowValue From(object? value) => value switch
    {
        null => Null,
        FlowValue flow => flow,
        JsonElement json => FromJson(json),
        _ => new FlowValue(CronflowJson.ToElement(value)),
    };

    internal static FlowValue FromOwned(JsonElement? json) =>
        json is { } value && value.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null) ? new FlowValue(value) : Null;

    internal JsonElement? ToNullableJson() => IsNull ? null : Json;

    /// <summary>The value as compact JSON text.</summary>
    public override string ToString()
    {
        if (IsNull)
        {
            return "null";
        }

        var raw = Json.GetRawText();
        if (!raw.Any(char.IsWhiteSpace))
        {
            return raw;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Json.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <inheritdoc />
    public bool Equals(FlowValue? other) =>
        other is not null && (ReferenceEquals(this, other) || (IsNull && other.IsNull) || JsonElement.DeepEquals(Json, other.Json));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FlowValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => IsNull ? 0 : Json.ValueKind.GetHashCode();

    private string Describe()
    {
        var text = ToString();
        return text.Length > 80 ? text[..77] + "..." : text;
    }
}
