using System.Text;
using System.Text.Json;

namespace Cronflow;

/// <summary>The Durable Task runtime states, as either client API reports them.</summary>
internal enum InstanceState
{
    Pending,
    Running,
    Completed,
    Failed,
    Terminated,
    Suspended,
}

/// <summary>What a Durable Task client knows about an orchestration instance, independent of which client it came from.</summary>
internal sealed record InstanceSnapshot(
    string InstanceId,
    InstanceState State,
    string? SerializedInput,
    string? SerializedOutput,
    string? SerializedCustomStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? FailureType,
    string? FailureMessage);

/// <summary>Turns an instance snapshot into the <see cref="RunInfo"/> users see. Shared by every host.</summary>
internal static class RunInfoMapper
{
    /// <summary>Sub-orchestrations (for-each chunks) have ids with this separator; they are not runs of their own.</summary>
    public const char ChildSeparator = '~';

    public static RunInput? ReadInput(string? serializedInput) => Deserialize<RunInput>(serializedInput);

    public static RunProgress? ReadProgress(string? serializedCustomStatus) => Deserialize<RunProgress>(serializedCustomStatus);

    /// <summary>
    /// Whether an instance whose orchestration has (or has not) ended, with this custom status, may be a finished run
    /// (<see cref="RunInfo.IsFinished"/>): its orchestration ended, or its progress carries the decided result, written
    /// while abandoned work still runs. False means surely not finished; true means map it and look.
    /// </summary>
    public static bool MayBeFinished(bool orchestrationEnded, string? serializedCustomStatus) =>
        orchestrationEnded || (serializedCustomStatus is not null && serializedCustomStatus.Contains(RunProgress.ResultProperty, StringComparison.Ordinal));

    public static RunInfo ToRunInfo(InstanceSnapshot snapshot, bool includeOutputs = true)
    {
        var input = ReadInput(snapshot.SerializedInput);
        var completed = snapshot.State == InstanceState.Completed ? ReadResult(snapshot.SerializedOutput) : null;

        // A completed run's result has all its progress said; its last progress is read only for a fingerprint its input lacks.
        var progress = completed is not null && input?.Fingerprint is not null ? null : Deserialize<RunProgress>(snapshot.SerializedCustomStatus);
        RunResult? result = snapshot.State == InstanceState.Completed ? completed : progress?.Result;

        RunStatus status;
        StepError? error = result?.Error;
        DateTimeOffset? completedAt = null;
        switch (snapshot.State)
        {
            case InstanceState.Completed when result is not null:
            case InstanceState.Running or InstanceState.Pending or InstanceState.Suspended when result is not null:
                status = result!.Status;
                completedAt = snapshot.State == InstanceState.Completed
                    ? snapshot.LastUpdatedAt
                    : result.Steps.Select(s => s.CompletedAt).Max() ?? snapshot.LastUpdatedAt;

                // A run decided while work it abandoned was still running ends later; it finished when it was decided.
                completedAt = result.CompletedAt ?? completedAt;

                break;
            case InstanceState.Completed:
                status = RunStatus.Completed;
                completedAt = snapshot.LastUpdatedAt;
                break;
            case InstanceState.Failed when progress?.Result is { } decided:
                // The run had decided its outcome (a versioning error, say) before the engine failed the episode.
                result = decided;
                status = decided.Status;
                error = decided.Error;
                completedAt = snapshot.LastUpdatedAt;
                break;
            case InstanceState.Failed:
                status = RunStatus.Failed;
                completedAt = snapshot.LastUpdatedAt;
                error = RunErrors.OrchestrationFailed(snapshot.FailureType, snapshot.FailureMessage ?? ReadReason(snapshot.SerializedOutput) ?? "The orchestration failed.");
                break;
            case InstanceState.Terminated:
                status = RunStatus.Cancelled;
                completedAt = snapshot.LastUpdatedAt;
                error = RunErrors.Terminated(ReadReason(snapshot.SerializedOutput) ?? "The run was cancelled.");
                break;
            case InstanceState.Pending:
                status = RunStatus.Pending;
                break;
            default:
                status = progress switch
                {
                    { Queued: true } => RunStatus.Pending,
                    { WaitingFor: not null } or { Pauses.Count: > 0 } => RunStatus.Waiting,
                    _ => RunStatus.Running,
                };
                break;
        }

        var steps = result?.Steps ?? progress?.Steps ?? [];
        if (!includeOutputs)
        {
            steps = steps.Select(s => s with { Output = null }).ToList();
        }

        return new RunInfo
        {
            Id = snapshot.InstanceId,
            WorkflowId = input?.WorkflowId ?? "",
            Status = status,
            Payload = FlowValue.FromOwned(input?.Payload),
            Output = status == RunStatus.Completed ? FlowValue.FromOwned(result?.Output) : FlowValue.Null,
            Error = error,
            Steps = steps,
            CreatedAt = snapshot.CreatedAt,
            CompletedAt = completedAt,
            WaitingFor = status is RunStatus.Waiting or RunStatus.Pending ? progress?.WaitingFor : null,
            Pauses = status == RunStatus.Waiting ? progress?.Pauses ?? [] : [],
            Fingerprint = input?.Fingerprint ?? progress?.Fingerprint,
            ReplayOf = input?.ReplayOf,
        };
    }

    public static RunInfo WithoutOutputs(RunInfo run) => new()
    {
        Id = run.Id,
        WorkflowId = run.WorkflowId,
        Status = run.Status,
        Payload = run.Payload,
        Output = run.Output,
        Error = run.Error,
        Steps = run.Steps.Select(s => s with { Output = null }).ToList(),
        CreatedAt = run.CreatedAt,
        CompletedAt = run.CompletedAt,
        WaitingFor = run.WaitingFor,
        Pauses = run.Pauses,
        Fingerprint = run.Fingerprint,
        ReplayOf = run.ReplayOf,
    };

    private static string? ReadReason(string? serializedOutput)
    {
        if (string.IsNullOrEmpty(serializedOutput))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(serializedOutput);
            return document.RootElement.ValueKind == JsonValueKind.String ? document.RootElement.GetString() : document.RootElement.GetRawText();
        }
        catch (JsonException)
        {
            return serializedOutput;
        }
    }

    /// <summary>
    /// A finished run's result, read in one pass of a reader: its status, error and completion time as read, its
    /// output parsed on its own, and its step records kept as the UTF-8 JSON they were written as, built into records
    /// only when first read (<see cref="JsonStepRecords"/>). Parsing the whole result into a document would index every
    /// record's times and output; a waiting client mostly wants the status and the output. Null for an output that is
    /// not a result.
    /// </summary>
    internal static RunResult? ReadResult(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        var utf8 = Encoding.UTF8.GetBytes(json);
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var result = new RunResult();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("status"u8))
                {
                    result.Status = JsonSerializer.Deserialize<RunStatus>(ref reader, CronflowJson.Options);
                }
                else if (name.SequenceEqual("output"u8))
                {
                    result.Output = reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader);
                }
                else if (name.SequenceEqual("error"u8))
                {
                    result.Error = JsonSerializer.Deserialize<StepError>(ref reader, CronflowJson.Options);
                }
                else if (name.SequenceEqual("steps"u8) && reader.TokenType == JsonTokenType.StartArray)
                {
                    result.Steps = ReadRecords(ref reader, utf8);
                }
                else if (name.SequenceEqual("completedAt"u8))
                {
                    result.CompletedAt = reader.TokenType == JsonTokenType.Null ? null : reader.GetDateTimeOffset();
                }
                else
                {
                    // Another property, or records that are not an array (none): passed over.
                    reader.Skip();
                }
            }

            // Anything after the object (but white space) is not a result: Read throws on it.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? result : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The records array the reader is on, checked to be well-formed JSON and kept as its UTF-8 text.</summary>
    private static JsonStepRecords ReadRecords(ref Utf8JsonReader reader, byte[] utf8)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var end = (int)reader.BytesConsumed;
        return new JsonStepRecords(utf8.AsMemory(start, end - start), CronflowJson.Options);
    }

    private static T? Deserialize<T>(string? json)
        where T : class
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(json, CronflowJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
