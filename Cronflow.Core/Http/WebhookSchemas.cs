using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using Json.Schema;

namespace Cronflow.Http;

/// <summary>
/// JSON Schemas of webhook body types, generated from the .NET type with the serializer's own conventions
/// (camelCase, enums as strings) and evaluated with JsonSchema.Net. One schema per type, built on first use.
/// Non-nullable reference properties and <c>required</c> members are required; the body itself must not be null.
/// </summary>
internal static class WebhookSchemas
{
    private static readonly ConcurrentDictionary<Type, JsonSchema> Cache = new();

    private static readonly JsonSerializerOptions ExportOptions = CreateExportOptions();

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List };

    /// <summary>The schema of <paramref name="type"/> as JSON text.</summary>
    public static string ToText(Type type) => Export(type).ToJsonString();

    /// <summary>Validates <paramref name="body"/> against the schema of <paramref name="type"/>; returns every problem (none when valid).</summary>
    public static IReadOnlyList<ApiProblem> Validate(Type type, JsonElement? body)
    {
        var schema = Cache.GetOrAdd(type, static t => JsonSchema.FromText(ToText(t)));
        var instance = body ?? CronflowJson.NullElement;
        var results = schema.Evaluate(instance, Evaluation);
        if (results.IsValid)
        {
            return [];
        }

        var problems = new List<ApiProblem>();
        var seen = new HashSet<(string, string)>();
        foreach (var detail in Flatten(results))
        {
            if (detail.Errors is null)
            {
                continue;
            }

            var path = detail.InstanceLocation.ToString();
            foreach (var message in detail.Errors.Values)
            {
                if (seen.Add((path, message)))
                {
                    problems.Add(new ApiProblem(path, message));
                }
            }
        }

        if (problems.Count == 0)
        {
            problems.Add(new ApiProblem("", "The body does not match the webhook's schema."));
        }

        return problems;
    }

    private static IEnumerable<EvaluationResults> Flatten(EvaluationResults results)
    {
        yield return results;
        foreach (var detail in results.Details ?? [])
        {
            foreach (var nested in Flatten(detail))
            {
                yield return nested;
            }
        }
    }

    private static JsonNode Export(Type type)
    {
        var node = ExportOptions.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = AddRequiredMembers,
        });

        // The body as a whole must be present: drop "null" from the root's types.
        if (node is JsonObject root && root["type"] is JsonArray types)
        {
            var kept = types.Select(t => t?.GetValue<string>()).OfType<string>().Where(t => t != "null").ToList();
            root["type"] = kept.Count == 1 ? JsonValue.Create(kept[0]) : new JsonArray(kept.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        }

        return node;
    }

    private static JsonNode AddRequiredMembers(JsonSchemaExporterContext context, JsonNode node)
    {
        if (context.PropertyInfo is not null || context.TypeInfo.Kind != JsonTypeInfoKind.Object || node is not JsonObject schema)
        {
            return node;
        }

        // The exporter marks every constructor parameter required; the rule here is the documented one instead:
        // `required` members, [JsonRequired] and non-nullable reference properties.
        var required = new List<string>();
        foreach (var property in context.TypeInfo.Properties)
        {
            var settable = property.Set is not null || property.AssociatedParameter is not null;
            var nonNullableReference = !property.PropertyType.IsValueType && !property.IsSetNullable;
            if (property.IsRequired || (settable && nonNullableReference))
            {
                required.Add(property.Name);
            }
        }

        schema.Remove("required");
        if (required.Count > 0)
        {
            schema["required"] = new JsonArray(required.Distinct(StringComparer.Ordinal).Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        }

        return schema;
    }

    private static JsonSerializerOptions CreateExportOptions()
    {
        var options = new JsonSerializerOptions(CronflowJson.Options)
        {
            RespectNullableAnnotations = true,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
