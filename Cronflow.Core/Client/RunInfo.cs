using System.Text.Json.Serialization;

namespace Cronflow;

/// <summary>The state of a run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus
{
    /// <summary>Accepted, not started yet (for example waiting for a concurrency slot).</summary>
    Pending,

    /// <summary>Executing steps.</summary>
    Running,

    /// <summary>Paused on a timer, an event or a human.</summary>
    Waiting,

    /// <summary>Finished successfully.</summary>
    Completed,

    /// <summary>Finished with an error.</summary>
    Failed,

    /// <summary>Cancelled by a caller or a <c>Cancel</c> step.</summary>
    Cancelled,
}

/// <summary>The state of one step.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StepStatus>))]
public enum StepStatus
{
    /// <summary>Not started.</summary>
    Pending,

    /// <summary>In flight.</summary>
    Running,

    /// <summary>Finished successfully (possibly through its <c>OnError</c> handler).</summary>
    Completed,

    /// <summary>Failed.</summary>
    Failed,

    /// <summary>Not run because its branch was not taken, or abandoned when its block was decided.</summary>
    Skipped,

    /// <summary>Waiting on a timer, an event or a human.</summary>
    Waiting,
}

/// <summary>A run as reported by <see cref="ICronflowClient.GetRunAsync"/> and the HTTP API.</summary>
public class RunInfo
{
    /// <summary>The run id.</summary>
    public required string Id { get; init; }

    /// <summary>The workflow that ran.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>Where the run is.</summary>
    public RunStatus Status { get; init; }

    /// <summary>The run's input.</summary>
    public FlowValue Payload { get; init; } = FlowValue.Null;

    /// <summary>The run's output (the last step's output) once completed.</summary>
    public FlowValue Output { get; init; } = FlowValue.Null;

    /// <summary>Why the run failed or was cancelled.</summary>
    public StepError? Error { get; init; }

    /// <summary>One record per executed step and block, in the order they started.</summary>
    public IReadOnlyList<StepRecord> Steps { get; init; } = [];

    /// <summary>When the run was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the run finished, if it has.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>What the run is waiting for, while <see cref="Status"/> is <see cref="RunStatus.Waiting"/>.</summary>
    public string? WaitingFor { get; init; }

    /// <summary>The human-in-the-loop pauses the run is waiting on, with their resume tokens.</summary>
    public IReadOnlyList<PauseInfo> Pauses { get; init; } = [];

    /// <summary>The fingerprint of the definition the run started with.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>The run this one replays, if it was started by <see cref="ICronflowClient.ReplayAsync"/>.</summary>
    public string? ReplayOf { get; init; }

    /// <summary>Whether the run has finished (completed, failed or cancelled).</summary>
    [JsonIgnore]
    public bool IsFinished => Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;
}

/// <summary>One step's execution within a run.</summary>
public sealed record StepRecord
{
    /// <summary>The step or block name.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>The node kind: step, action, parallel, race, if, forEach, sleep, …</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "step";

    /// <summary>The node's path in the definition.</summary>
    [JsonPropertyName("path")]
    public string Path { get; init; } = "";

    /// <summary>Where the step is.</summary>
    [JsonPropertyName("status")]
    public StepStatus Status { get; init; }

    /// <summary>How many times its body ran (retries included).</summary>
    [JsonPropertyName("attempts")]
    public int Attempts { get; init; }

    /// <summary>When it started (orchestration time).</summary>
    [JsonPropertyName("startedAt")]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it finished (orchestration time).</summary>
    [JsonPropertyName("completedAt")]
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Its output, once completed.</summary>
    [JsonPropertyName("output")]
    public FlowValue? Output { get; init; }

    /// <summary>A short note: the branch an <c>If</c> took, the number of for-each items, what a wait is waiting for.</summary>
    [JsonPropertyName("detail")]
    public string? Detail { get; init; }

    /// <summary>Its error, if it failed (also set when it failed and <c>OnError</c> recovered).</summary>
    [JsonPropertyName("error")]
    public StepError? Error { get; init; }

    /// <summary>
    /// Each run of its body, in order, with its own start, end and error: set only when the node ran more than once
    /// (retries), and kept small: at most the last <see cref="MaxTries"/> attempts (<see cref="Attempts"/> still
    /// counts them all). <see langword="null"/> for a node that ran once.
    /// </summary>
    [JsonPropertyName("tries")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<StepAttempt>? Tries { get; init; }

    /// <summary>
    /// The parts of a block that ran side by side: a parallel or race block's branches, a for-each's items (or its
    /// chunks of items, when it runs in chunks), each with its own start and end, as of the block's last attempt.
    /// At most <see cref="MaxLanes"/> (the first ones); <see langword="null"/> for other nodes.
    /// </summary>
    [JsonPropertyName("lanes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<StepLane>? Lanes { get; init; }

    /// <summary>A for-each's item count and outcomes (of its last attempt); <see langword="null"/> for other nodes.</summary>
    [JsonPropertyName("items")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ItemCounts? Items { get; init; }

    /// <summary>How many attempts <see cref="Tries"/> keeps at most: the last ones.</summary>
    public const int MaxTries = 20;

    /// <summary>How many lanes <see cref="Lanes"/> keeps at most: the first ones.</summary>
    public const int MaxLanes = 50;
}

/// <summary>One run of a step's (or block's) body, in orchestration time.</summary>
public sealed record StepAttempt
{
    /// <summary>The attempt's number, from 1.</summary>
    [JsonPropertyName("number")]
    public int Number { get; init; }

    /// <summary>When it started.</summary>
    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended; <see langword="null"/> while it runs.</summary>
    [JsonPropertyName("completedAt")]
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Why it failed; <see langword="null"/> for an attempt that succeeded or still runs.</summary>
    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StepError? Error { get; init; }
}

/// <summary>A branch of a parallel or race block, or an item (or chunk of items) of a for-each, in orchestration time.</summary>
public sealed record StepLane
{
    /// <summary>The branch's, item's or chunk's index, from 0.</summary>
    [JsonPropertyName("index")]
    public int Index { get; init; }

    /// <summary>Its label: the branch name (<c>block[0]</c>), <c>item 3</c>, or <c>items 0-99</c> for a chunk.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>Where it is: skipped when it never started or was abandoned because its block was decided.</summary>
    [JsonPropertyName("status")]
    public StepStatus Status { get; init; }

    /// <summary>When it started, if it did.</summary>
    [JsonPropertyName("startedAt")]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When its result (or failure) arrived, if it did.</summary>
    [JsonPropertyName("completedAt")]
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Whether it decided its race (the first branch to succeed).</summary>
    [JsonPropertyName("won")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Won { get; init; }
}

/// <summary>How a for-each's items ended. With chunks, an item counts with its chunk: completed when the chunk completed.</summary>
public sealed record ItemCounts
{
    /// <summary>How many items there were.</summary>
    [JsonPropertyName("total")]
    public int Total { get; init; }

    /// <summary>Items that completed.</summary>
    [JsonPropertyName("completed")]
    public int Completed { get; init; }

    /// <summary>Items that failed (in chunks: one per failed chunk).</summary>
    [JsonPropertyName("failed")]
    public int Failed { get; init; }

    /// <summary>Items not started, or abandoned when the for-each was decided: all the others.</summary>
    [JsonPropertyName("skipped")]
    public int Skipped { get; init; }
}

/// <summary>A human-in-the-loop pause a run is waiting on.</summary>
public sealed record PauseInfo
{
    /// <summary>The token that resumes this pause (<see cref="ICronflowClient.ResumeAsync"/>); unique to the run.</summary>
    [JsonPropertyName("token")]
    public required string Token { get; init; }

    /// <summary>The paused step.</summary>
    [JsonPropertyName("step")]
    public required string Step { get; init; }

    /// <summary>What is to be decided.</summary>
    [JsonPropertyName("description")]
    public string Description { get; init; } = "";

    /// <summary>When the pause times out, if it does.</summary>
    [JsonPropertyName("expiresAt")]
    public DateTimeOffset? ExpiresAt { get; init; }
}
