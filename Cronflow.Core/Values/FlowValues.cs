using System.Text.Json;

namespace Cronflow;

/// <summary>Builds JSON values out of other values without a detour through objects.</summary>
internal static class FlowValues
{
    public static FlowValue Array(IReadOnlyList<FlowValue> values)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                Write(writer, value);
            }

            writer.WriteEndArray();
        }

        return FlowValue.Parse(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
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
