using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cronflow;

/// <summary>
/// Source-generated serialization metadata for the messages the engine writes and reads on every episode and every
/// step: run inputs, step requests and outcomes, run results and progress. <see cref="CronflowJson.Options"/> resolves
/// these types here and every other type (payloads, outputs, user types) by reflection, so the JSON is the same as
/// before; reading a step request this way takes about half the time the reflection-based metadata takes, and writing
/// it too.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(RunInput))]
[JsonSerializable(typeof(StepRequest))]
[JsonSerializable(typeof(StepOutcome))]
[JsonSerializable(typeof(RunResult))]
[JsonSerializable(typeof(RunProgress))]
internal sealed partial class EngineJsonContext : JsonSerializerContext
{
}
