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

    /// <summary>
    /// The payload's reference in the output store (<c>&lt;run&gt;/&lt;id&gt;</c>, below the run), when the client that
    /// started the run stored it there because it is larger than the inline allowance: step requests then carry this
    /// reference instead of the payload. <see cref="Payload"/> keeps the value, which the orchestration's conditions read.
    /// Null for a payload that travels inline (and for runs started before payloads were stored).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("payloadRef")]
    public string? PayloadKey { get; set; }

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

    /// <summary>Set for a loop nested in a block: its iterations run in a sub-orchestration that continues as new.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("loop")]
    public LoopInput? Loop { get; set; }

    /// <summary>
    /// The instance that started this one as a subflow or for-each chunk. The child tells it its decided result when
    /// it leaves work open (see <see cref="ChildEvents"/>), and listens for the parent abandoning it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("parent")]
    public string? Parent { get; set; }

    /// <summary>The trace the run's spans belong to and the span they hang under (see <see cref="RunTrace"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("trace")]
    public TraceInput? Trace { get; set; }

    /// <summary>Set for a run tested in virtual time (see <see cref="VirtualClock"/>); never for a run in production.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("virtual")]
    public VirtualTimeInput? Virtual { get; set; }

    /// <summary>Set for the concurrency gate of a workflow: an orchestration that hands out run slots.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("gate")]
    public GateState? Gate { get; set; }

    /// <summary>Set for the record of a schedule trigger (see <c>ScheduleLedger</c>): an orchestration that only keeps this input.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("schedule")]
    public ScheduleRecord? Schedule { get; set; }
}

/// <summary>The backend's record of a schedule trigger: since when it has been ticked.</summary>
internal sealed class ScheduleRecord
{
    /// <summary>The trigger's key (<see cref="ScheduleTrigger.Key"/>).</summary>
    [JsonPropertyName("key")]
    public string Key { get; set; } = "";

    /// <summary>When a tick first saw the trigger (UTC).</summary>
    [JsonPropertyName("since")]
    public DateTimeOffset Since { get; set; }
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

    /// <summary>
    /// The store references of the outputs in <see cref="Steps"/> (and of <see cref="Last"/>) that are in the output
    /// store: the next execution sends them to steps by reference, as this one did.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("refs")]
    public Dictionary<string, string>? StepKeys { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("lastRef")]
    public string? LastKey { get; set; }

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

    /// <summary>The attempt of the loop that continued as new (retries count across executions).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonPropertyName("loopAttempt")]
    public int LoopAttempt { get; set; }

    /// <summary>When the loop's <c>Timeout</c> ends it: set once when the attempt starts, kept across executions.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("loopDeadline")]
    public DateTimeOffset? LoopDeadline { get; set; }

    /// <summary><c>Last</c> as it was before the loop: where a retried attempt starts over.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("loopStart")]
    public JsonElement? LoopStart { get; set; }
}

/// <summary>A nested loop's iterations, run as a sub-orchestration that continues as new every few iterations.</summary>
internal sealed class LoopInput
{
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    [JsonPropertyName("scope")]
    public List<JsonElement> ItemChain { get; set; } = [];

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("last")]
    public JsonElement? Last { get; set; }

    /// <summary><c>Last</c> by its store reference, when it is in the output store (<see cref="Last"/> is then null).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("lastRef")]
    public string? LastKey { get; set; }

    /// <summary>The earlier outputs that travel inline.</summary>
    [JsonPropertyName("steps")]
    public Dictionary<string, JsonElement?> Steps { get; set; } = [];

    /// <summary>The earlier outputs in the output store, by step name: their references (see <see cref="StepOutputKeys.Qualify"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("refs")]
    public Dictionary<string, string>? StepKeys { get; set; }

    /// <summary>Iterations already run by earlier executions of this attempt.</summary>
    [JsonPropertyName("iteration")]
    public int Iteration { get; set; }

    [JsonPropertyName("attempt")]
    public int Attempt { get; set; } = 1;

    /// <summary>When the loop's own <c>Timeout</c> ends it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("deadline")]
    public DateTimeOffset? Deadline { get; set; }

    /// <summary>When the run's <c>Timeout</c> ends it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("runDeadline")]
    public DateTimeOffset? RunDeadline { get; set; }

    [JsonPropertyName("runId")]
    public string RunId { get; set; } = "";

    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; set; }
}

/// <summary>What a nested loop's sub-orchestration returns: the loop's last output and how many iterations ran.</summary>
internal sealed record LoopOutcome(
    [property: JsonPropertyName("last")] JsonElement? Last,
    [property: JsonPropertyName("iterations")] int Iterations);

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

    /// <summary>The places of the for-each's window this chunk starts with.</summary>
    [JsonPropertyName("max")]
    public int MaxConcurrency { get; set; }

    /// <summary>The next chunk's instance: where this chunk sends the places it no longer needs (one window across chunks).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("next")]
    public string? Next { get; set; }

    /// <summary>Whether the previous chunk sends places to this one: this chunk ends only after that chunk has ended.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonPropertyName("fromPrevious")]
    public bool FromPrevious { get; set; }

    /// <summary>
    /// The earlier outputs that travel inline. (No <c>Last</c>: inside a for-each, <c>Last</c> starts as each item.)
    /// </summary>
    [JsonPropertyName("steps")]
    public Dictionary<string, JsonElement?> Steps { get; set; } = [];

    /// <summary>The earlier outputs in the output store, by step name: their references (see <see cref="StepOutputKeys.Qualify"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("refs")]
    public Dictionary<string, string>? StepKeys { get; set; }

    [JsonPropertyName("runId")]
    public string RunId { get; set; } = "";

    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; set; }
}

/// <summary>What one chunk of a for-each sends the next: a window place, its end (with how many places it sent), or its failure.</summary>
internal sealed class ChunkSlotMessage
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonPropertyName("places")]
    public int Places { get; set; }

    /// <summary>Set when the sending chunk has ended: the number of place messages it sent in all.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("sent")]
    public int? Sent { get; set; }

    /// <summary>Set when an earlier chunk failed (or the run was cancelled there): later chunks stop with this error.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("error")]
    public StepError? Error { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonPropertyName("cancelled")]
    public bool Cancelled { get; set; }
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

    /// <summary>Every record of the run; read back from JSON, they are built when first read (see <see cref="StepRecordsJsonConverter"/>).</summary>
    [JsonPropertyName("steps")]
    [JsonConverter(typeof(StepRecordsJsonConverter))]
    public IReadOnlyList<StepRecord> Steps { get; set; } = [];

    /// <summary>When the outcome was decided (orchestration time); the instance may end later, once work it left open ends.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("completedAt")]
    public DateTimeOffset? CompletedAt { get; set; }
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

    /// <summary>How <see cref="Result"/>'s name appears in the serialized progress (a decided run's custom status holds it).</summary>
    internal const string ResultProperty = "\"result\":";

    /// <summary>
    /// The step calls (see <see cref="StepRequest.Call"/>) that a decided block abandoned while they were still running.
    /// Step hosts read it to fire those steps' cancellation tokens; a call leaves the list when its result arrives.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("abandoned")]
    public List<int>? Abandoned { get; set; }
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

    /// <summary>
    /// The payload by its reference in the output store, when the run's payload was stored (<see cref="Payload"/> is
    /// then null): the step reads it when the body first touches <c>ctx.Payload</c> (or <c>ctx.Last</c>, when
    /// <see cref="LastIs"/> is <see cref="LastIsPayload"/>).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("payloadRef")]
    public string? PayloadKey { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("last")]
    public JsonElement? Last { get; set; }

    /// <summary>
    /// <c>Last</c> by its reference in the output store, when the output it is was stored (<see cref="Last"/> is then
    /// null): the step reads it when the body first touches it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("lastRef")]
    public string? LastKey { get; set; }

    /// <summary>
    /// Where <c>Last</c> already is in the request, instead of a copy: <see cref="LastIsPayload"/>,
    /// <see cref="LastIsItem"/> (the innermost of <see cref="ItemChain"/>), or <see cref="LastIsStep"/> (an earlier
    /// step's output in <see cref="Steps"/>: the output of the step just before, most often); null otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("lastIs")]
    public string? LastIs { get; set; }

    public const string LastIsPayload = "payload";
    public const string LastIsItem = "item";

    /// <summary>How <see cref="LastIs"/> names the output of step <paramref name="name"/>, which <see cref="Steps"/> carries.</summary>
    public static string LastIsStep(string name) => LastIsStepPrefix + name;

    /// <summary>The step whose output <c>Last</c> is, when <see cref="LastIs"/> names one (see <see cref="LastIsStep"/>).</summary>
    public static string? LastStep(string? lastIs) =>
        lastIs is not null && lastIs.StartsWith(LastIsStepPrefix, StringComparison.Ordinal) ? lastIs[LastIsStepPrefix.Length..] : null;

    private const string LastIsStepPrefix = "step:";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
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

    /// <summary>
    /// When the step times out, on the orchestration's clock (the time it was scheduled plus its timeout): the step's
    /// token fires then, however long the request waited in the queue.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("deadline")]
    public DateTimeOffset? Deadline { get; set; }

    /// <summary>The number of this activity call in its orchestration execution, as listed in <see cref="RunProgress.Abandoned"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("call")]
    public int? Call { get; set; }

    /// <summary>The orchestration instance that scheduled the step, when it is not <see cref="RunId"/> (a for-each chunk).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("instance")]
    public string? Instance { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("token")]
    public string? ResumeToken { get; set; }

    /// <summary>
    /// Earlier outputs not carried in <see cref="Steps"/>: their ids in the output store (below the run and the
    /// instance that scheduled the step, see <see cref="StepOutputKeys"/>), by step name.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("refs")]
    public Dictionary<string, string>? StepKeys { get; set; }

    /// <summary>
    /// The step stores its output in the output store, and returns its key, when the output is larger than this many
    /// bytes of UTF-8 JSON; null when the run has no output store.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("storeAbove")]
    public int? StoreAbove { get; set; }

    /// <summary>
    /// Set for the orchestration's read of an output it holds only by reference (path <see cref="StepOutputKeys.ReadPath"/>):
    /// the activity returns the output stored under this reference, and runs no body.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("read")]
    public string? Read { get; set; }
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

    /// <summary>The output's id in the output store, when the step stored it (see <see cref="StepRequest.StoreAbove"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("key")]
    public string? Key { get; set; }
}

/// <summary>The external events that parents and their child orchestrations (subflows, for-each chunks) exchange.</summary>
internal static class ChildEvents
{
    /// <summary>Sent by a child to its parent with its <see cref="RunResult"/> when it decided with work still open.</summary>
    public static string Decided(string childInstanceId) => "cronflow-decided:" + childInstanceId;

    /// <summary>Sent by a parent to a child whose result it no longer needs (its block was decided without it).</summary>
    public const string Abandon = "cronflow-abandon";
}
