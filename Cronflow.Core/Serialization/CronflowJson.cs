using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Cronflow;

/// <summary>
/// The JSON conventions Cronflow uses for payloads, step outputs and its HTTP API:
/// camelCase property names, enums as strings, case-insensitive reads.
/// </summary>
public static class CronflowJson
{
    /// <summary>The serializer options used for every value that flows through a run.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,

            // The engine's own messages from generated metadata, everything else by reflection: the same JSON.
            TypeInfoResolver = JsonTypeInfoResolver.Combine(EngineJsonContext.Default, new DefaultJsonTypeInfoResolver()),
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Serializes any value to a detached <see cref="JsonElement"/>.</summary>
    internal static JsonElement ToElement(object? value) => value switch
    {
        null => NullElement,
        JsonElement element => element,
        FlowValue flow => flow.Json,
        _ => JsonSerializer.SerializeToElement(value, value.GetType(), Options),
    };

    /// <summary>A detached JSON <c>null</c>.</summary>
    internal static JsonElement NullElement { get; } = JsonDocument.Parse("null").RootElement.Clone();
}
