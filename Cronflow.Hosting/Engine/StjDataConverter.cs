using System.Text.Json;
using DurableTask.Core.Serializing;

namespace Cronflow.Hosting;

/// <summary>
/// A DurableTask.Core data converter that uses System.Text.Json with Cronflow's options, so that what the client
/// writes is exactly what the Microsoft.DurableTask shims read (DurableTask.Core's default is Newtonsoft).
/// </summary>
internal sealed class StjDataConverter : DataConverter
{
    public static StjDataConverter Instance { get; } = new();

    public override string? Serialize(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), CronflowJson.Options);

    public override string? Serialize(object? value, bool formatted) => Serialize(value);

    public override object? Deserialize(string? data, Type objectType) =>
        data is null ? null : JsonSerializer.Deserialize(data, objectType, CronflowJson.Options);
}
