using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Cronflow.Tests.Engine;

/// <summary>
/// The engine's messages resolved from generated metadata (<see cref="EngineJsonContext"/>) are written and read exactly
/// as the reflection-based metadata writes and reads them: runs in flight, written before, replay the same.
/// </summary>
public sealed class EngineJsonContextTests
{
    private static readonly JsonSerializerOptions ByReflection = new(CronflowJson.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    public static TheoryData<Type> Messages => [typeof(RunInput), typeof(StepRequest), typeof(StepOutcome), typeof(RunResult), typeof(RunProgress)];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Serialize_EveryPropertySet_WritesWhatReflectionWrites(Type type)
    {
        var message = Sample.Of(type, depth: 0)!;

        var generated = JsonSerializer.Serialize(message, type, CronflowJson.Options);
        var reflected = JsonSerializer.Serialize(message, type, ByReflection);

        Assert.Equal(reflected, generated);
        Assert.IsAssignableFrom<JsonSerializerContext>(CronflowJson.Options.GetTypeInfo(type).OriginatingResolver);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Deserialize_WhatReflectionWrote_ReadsEveryProperty(Type type)
    {
        var reflected = JsonSerializer.Serialize(Sample.Of(type, depth: 0), type, ByReflection);

        var read = JsonSerializer.Deserialize(reflected, type, CronflowJson.Options);

        // The same JSON value (step records read and not touched are written back as read, with their own escaping).
        var again = JsonSerializer.Serialize(read, type, ByReflection);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(reflected), JsonNode.Parse(again)), again);
    }

    /// <summary>Builds an instance with every settable property set to a value other than its default, nested types included.</summary>
    private static class Sample
    {
        private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1));

        public static object? Of(Type type, int depth)
        {
            var nullable = Nullable.GetUnderlyingType(type);
            type = nullable ?? type;
            if (type == typeof(string))
            {
                return "text-" + depth;
            }

            if (type == typeof(int) || type == typeof(long) || type == typeof(double))
            {
                return Convert.ChangeType(3 + depth, type, System.Globalization.CultureInfo.InvariantCulture);
            }

            if (type == typeof(bool))
            {
                return true;
            }

            if (type == typeof(DateTimeOffset))
            {
                return At;
            }

            if (type == typeof(TimeSpan))
            {
                return TimeSpan.FromSeconds(5);
            }

            if (type.IsEnum)
            {
                return Enum.GetValues(type).Cast<object>().Last();
            }

            if (type == typeof(JsonElement))
            {
                return JsonDocument.Parse("""{"v":[1,"two",null]}""").RootElement.Clone();
            }

            if (type == typeof(FlowValue))
            {
                return FlowValue.From(new { v = depth });
            }

            if (depth > 3)
            {
                return null;
            }

            if (type.IsGenericType && type.GetGenericArguments() is [var key, var value] && key == typeof(string))
            {
                var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(key, value))!;
                dictionary["key"] = Of(value, depth + 1);
                return dictionary;
            }

            if (type.IsGenericType && type.GetGenericArguments() is [var item] && typeof(IEnumerable).IsAssignableFrom(type))
            {
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
                list.Add(Of(item, depth + 1));
                return list;
            }

            var instance = Activator.CreateInstance(type, nonPublic: true)!;
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0)
                {
                    property.SetValue(instance, Of(property.PropertyType, depth + 1));
                }
            }

            return instance;
        }
    }
}
