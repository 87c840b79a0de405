using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cronflow;

/// <summary>The orchestration input of a run (or of one chunk of a for-each).</summary>
internal sealed class RunInput
{
    [JsonPropertyName("wf")]
    public string WorkflowId { get; set; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("payload")]
    public JsonElement? Payload { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("fp")]
    public string? Fingerprint { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("trigger")]
    public TriggerInfo? Trigger { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("replayOf")]
    public string? ReplayOf { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("chunk")]
    public ChunkInput? Chunk { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("resume")]
    public ResumeState? Resume { get; set; }

    /// <summary>Set for the concurrency gate of a workflow: an orchestration that hands out run slots.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("gate")]
    public GateState? Gate { get; set; }
}

/// <summary>The state of a workflow's concurrency gate, carried across its continue-as-new generations.</summary>
internal sealed class GateState
{
    [JsonPropertyName("running")]
    public List<string> Running { get; set; } = [];

    [JsonPropertyName("queue")]
    public List<string> Queue { get; set; } = [];

    /// <summary>
    /// The cap this generation of the gate applies. It is part of the gate's input, never read from the definition
    /// while the gate replays; a changed cap takes effect when the gate continues as new.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("limit")]
    public int? Limit { get; set; }
}

/// <summary>A message to a concurrency gate.</summary>
internal sealed class GateMessage
{
    public const string Acquire = "acquire";
    public const string Release = "release";

    [JsonPropertyName("op")]
    public string Op { get; set; } = "";

    [JsonPropertyName("runId")]
    public string RunId { get; set; } = "";
}

/// <summary>Where a run continued as new: the state it carries into its next execution.</summary>
internal sealed class ResumeState
{
    [JsonPropertyName("index")]
    public int NodeIndex { get; set; }

    [JsonPropertyName("iteration")]
    public int Iteration { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("last")]
    public JsonElement? Last { get; set; }

    [JsonPropertyName("steps")]
    public Dictionary<string, JsonElement?> Steps { get; set; } = [];

    [JsonPropertyName("records")]
    public List<StepRecord> Records { get; set; } = [];

    [JsonPropertyName("runId")]
    public string RunId { get; set; } = "";

    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("deadline")]
    public DateTimeOffset? Deadline { get; set; }

    [JsonPropertyName("slot")]
    public bool HoldsSlot { get; set; }

    [JsonPropertyName("generation")]
    public int Generation { get; set; }
}

/// <summary>A slice of a for-each's items, run as a sub-orchestration.</summary>
internal sealed class ChunkInput
{
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    [JsonPropertyName("scope")]
    public List<JsonElement> ItemChain { get; set; } = [];

    [JsonPropertyName("items")]
    public List<JsonElement> Items { get; set; } = [];

    [JsonPropertyName("start")]
    public int Start { get; set; }

    [JsonPropertyName("max")]
    public int MaxConcurrency { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("last")]
    public JsonElement? Last { get; set; }

    [JsonPropertyName("steps")]
    public Dictionary<string, JsonElement?> Steps { get; set; } = [];

    [JsonPropertyName("runId")]
    public string RunId { get; set; } = "";

    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; set; }
}

/// <summary>The orchestration output: how the run ended, with every step record.</summary>
internal sealed class RunResult
{
    [JsonPropertyName("status")]
    public RunStatus Status { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("output")]
    public JsonElement? Output { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("error")]
    public StepError? Error { get; set; }

    [JsonPropertyName("steps")]
    public List<StepRecord> Steps { get; set; } = [];
}

/// <summary>The custom status of a running orchestration: progress that clients can read while it runs.</summary>
internal sealed class RunProgress
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("fp")]
    public string? Fingerprint { get; set; }

    [JsonPropertyName("steps")]
    public List<StepRecord> Steps { get; set; } = [];

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("waitingFor")]
    public string? WaitingFor { get; set; }

    [JsonPropertyName("queued")]
    public bool Queued { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("pauses")]
    public List<PauseInfo>? Pauses { get; set; }

    /// <summary>Set once the run's outcome is decided, while activities it no longer needs (race losers) are still finishing.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("result")]
    public RunResult? Result { get; set; }
}

/// <summary>The input of the step activity.</summary>
internal sealed class StepRequest
{
    [JsonPropertyName("wf")]
    public string WorkflowId { get; set; } = "";

    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("attempt")]
    public int Attempt { get; set; } = 1;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("scope")]
    public List<JsonElement>? ItemChain { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("payload")]
    public JsonElement? Payload { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("last")]
    public JsonElement? Last { get; set; }

    [JsonPropertyName("steps")]
    public Dictionary<string, JsonElement?>? Steps { get; set; }

    [JsonPropertyName("runId")]
    public string RunId { get; set; } = "";

    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("trigger")]
    public TriggerInfo? Trigger { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("error")]
    public StepError? Error { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("timeoutMs")]
    public long? TimeoutMs { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("token")]
    public string? ResumeToken { get; set; }

    /// <summary>Names of earlier outputs not carried in <see cref="Steps"/>; read from the host's output cache.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("more")]
    public List<string>? OtherStepNames { get; set; }

    /// <summary>The orchestration instance and scope whose cached outputs hold <see cref="OtherStepNames"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("cache")]
    public string? CacheInstance { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("cacheScope")]
    public string? CacheScope { get; set; }
}

/// <summary>
/// What the step activity returns: the output, and the path of the body that produced it. On replay the
/// interpreter checks that each recorded result belongs to the step it is now replaying.
/// </summary>
internal sealed class StepOutcome
{
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("output")]
    public JsonElement? Output { get; set; }
}
