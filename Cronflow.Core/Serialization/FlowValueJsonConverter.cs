using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cronflow;

/// <summary>Writes a <see cref="FlowValue"/> as the JSON it holds, and reads any JSON into one.</summary>
internal sealed class FlowValueJsonConverter : JsonConverter<FlowValue>
{
    public override bool HandleNull => true;

    public override FlowValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return FlowValue.Null;
        }

        // An element that needs no disposing, in a document of its own that the value keeps: one copy, not two.
        return FlowValue.FromOwned(JsonElement.ParseValue(ref reader));
    }

    public override void Write(Utf8JsonWriter writer, FlowValue? value, JsonSerializerOptions options)
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
