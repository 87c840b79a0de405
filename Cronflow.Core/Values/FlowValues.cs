using System.Buffers;
using System.Text.Json;

namespace Cronflow;

/// <summary>Builds JSON values out of other values without a detour through objects.</summary>
internal static class FlowValues
{
    /// <summary>A JSON array of <paramref name="values"/>, in order.</summary>
    public static FlowValue Array(IReadOnlyList<FlowValue> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                Write(writer, value);
            }

            writer.WriteEndArray();
        }

        // Read from the bytes just written (not through a string); the value is a compact copy of the document.
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return FlowValue.FromJson(document.RootElement);
    }

    /// <summary>Concatenates JSON arrays.</summary>
    public static FlowValue Concat(IReadOnlyList<FlowValue> arrays) => Array(arrays.SelectMany(a => a.Items()).ToList());

    private static void Write(Utf8JsonWriter writer, FlowValue? value)
    {
        if (value is null || value.IsNull)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.Json.WriteTo(writer);
        }
    }
}
