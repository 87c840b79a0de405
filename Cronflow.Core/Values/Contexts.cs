using System.Text.Json.Serialization;

namespace Cronflow;

/// <summary>
/// What a condition, selector or subflow input sees. It is evaluated inside the orchestration, so it must be pure:
/// no clock, no I/O, no randomness, the same answer every time for the same values.
/// </summary>
public class FlowContext
{
    internal FlowContext(FlowValue payload, FlowValue last, StepOutputs steps, RunDetails run)
    {
        _payload = payload;
        _last = last;
        Steps = steps;
        Run = run;
    }

    /// <summary>
    /// A context whose <c>Payload</c> and <c>Last</c> are read from <paramref name="payload"/> and <paramref name="last"/>
    /// when first used (a payload or output held by reference).
    /// </summary>
    internal FlowContext(Func<FlowValue> payload, Func<FlowValue> last, StepOutputs steps, RunDetails run)
    {
        _readPayload = payload;
        _readLast = last;
        Steps = steps;
        Run = run;
    }

    private FlowValue? _payload;
    private readonly Func<FlowValue>? _readPayload;
    private FlowValue? _last;
    private readonly Func<FlowValue>? _readLast;

    /// <summary>The run's input.</summary>
    public FlowValue Payload => _payload ??= _readPayload!();

    /// <summary>The output of the most recent step or block (the payload before the first step).</summary>
    public FlowValue Last => _last ??= _readLast!();

    /// <summary>Outputs of the steps that have completed so far, by name.</summary>
    public StepOutputs Steps { get; }

    /// <summary>The run being executed.</summary>
    public RunDetails Run { get; }
}

/// <summary>What a step body sees. Step bodies run in an activity, so they may do I/O.</summary>
public sealed class StepContext : FlowContext
{
    internal StepContext(
        Func<FlowValue> payload,
        Func<FlowValue> last,
        StepOutputs steps,
        RunDetails run,
        string stepName,
        StepServices services,
        TriggerInfo trigger,
        int attempt,
        StepError? error,
        StepCancellation cancellation)
        : base(payload, last, steps, run)
    {
        StepName = stepName;
        _services = services;
        Trigger = trigger;
        Attempt = attempt;
        Error = error;
        _cancellation = cancellation;
    }

    /// <summary>The name of the step (or block branch) being run.</summary>
    public string StepName { get; }

    private readonly StepServices _services;

    /// <summary>A dependency-injection scope created for this execution (on first use).</summary>
    public IServiceProvider Services => _services.Provider;

    private readonly StepCancellation _cancellation;

    /// <summary>Fires when the step times out or the run is cancelled.</summary>
    public CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>How the run was started.</summary>
    public TriggerInfo Trigger { get; }

    /// <summary>The attempt number, 1 for the first.</summary>
    public int Attempt { get; }

    /// <summary>The failure being handled, inside <c>OnError</c> handlers and <c>OnFailure</c> hooks; otherwise null.</summary>
    public StepError? Error { get; }

    /// <summary>The run's resume token, inside a human-in-the-loop <c>OnPause</c> callback.</summary>
    internal string? ResumeToken { get; init; }
}

/// <summary>The run a context belongs to.</summary>
/// <param name="Id">The run id (the Durable Task instance id).</param>
/// <param name="WorkflowId">The workflow's id.</param>
/// <param name="StartedAt">When the run started (orchestration time, deterministic).</param>
public sealed record RunDetails(string Id, string WorkflowId, DateTimeOffset StartedAt);

/// <summary>How a run was started.</summary>
public sealed record TriggerInfo
{
    /// <summary>A manual trigger with no headers.</summary>
    public static TriggerInfo Manual { get; } = new() { Kind = TriggerKind.Manual };

    /// <summary>The kind of trigger.</summary>
    [JsonPropertyName("kind")]
    public TriggerKind Kind { get; init; } = TriggerKind.Manual;

    /// <summary>The HTTP headers of a webhook delivery (names lower-case); empty for other triggers.</summary>
    [JsonPropertyName("headers")]
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The schedule occurrence, the event name or the webhook path, where one applies.</summary>
    [JsonPropertyName("source")]
    public string? Source { get; init; }
}

/// <summary>The kinds of triggers.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TriggerKind>))]
public enum TriggerKind
{
    /// <summary>Started through the client or the HTTP API.</summary>
    Manual,

    /// <summary>Started by a webhook delivery.</summary>
    Webhook,

    /// <summary>Started by a cron schedule or an interval.</summary>
    Schedule,

    /// <summary>Started by a published event.</summary>
    Event,

    /// <summary>Started by another run (subflow or replay).</summary>
    Workflow,
}

/// <summary>The outputs of completed steps, by step name.</summary>
public sealed class StepOutputs
{
    private readonly IReadOnlyDictionary<string, FlowValue> _outputs;
    private readonly StepOutputs? _parent;
    private readonly IReadOnlyCollection<string>? _otherNames;
    private readonly Func<string, FlowValue?>? _resolve;

    internal StepOutputs(IReadOnlyDictionary<string, FlowValue> outputs, StepOutputs? parent = null)
    {
        _outputs = outputs;
        _parent = parent;
    }

    /// <summary>Outputs partly held elsewhere: <paramref name="otherNames"/> exist and are fetched through <paramref name="resolve"/>.</summary>
    internal StepOutputs(IReadOnlyDictionary<string, FlowValue> outputs, IReadOnlyCollection<string> otherNames, Func<string, FlowValue?> resolve, StepOutputs? parent = null)
    {
        _outputs = outputs;
        _otherNames = otherNames;
        _resolve = resolve;
        _parent = parent;
    }

    internal static StepOutputs Empty { get; } = new(new Dictionary<string, FlowValue>());

    /// <summary>The result of step <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No step of that name has completed in this run.</exception>
    public StepResult this[string name] =>
        TryGet(name, out var result)
            ? result
            : throw new KeyNotFoundException(
                $"No step named '{name}' has completed in this run. Completed steps: {string.Join(", ", Names.Select(n => $"'{n}'"))}.");

    /// <summary>Whether step <paramref name="name"/> has completed.</summary>
    public bool Contains(string name) => _outputs.ContainsKey(name) || (_otherNames?.Contains(name) ?? false) || (_parent?.Contains(name) ?? false);

    /// <summary>Looks up step <paramref name="name"/>.</summary>
    public bool TryGet(string name, out StepResult result)
    {
        if (_outputs.TryGetValue(name, out var output))
        {
            result = new StepResult(name, output);
            return true;
        }

        if (_otherNames?.Contains(name) == true && _resolve!(name) is { } resolved)
        {
            result = new StepResult(name, resolved);
            return true;
        }

        if (_parent is not null)
        {
            return _parent.TryGet(name, out result);
        }

        result = null!;
        return false;
    }

    /// <summary>The names of the completed steps.</summary>
    public IEnumerable<string> Names =>
        _outputs.Keys.Concat(_otherNames ?? []).Concat(_parent?.Names ?? []).Distinct();
}

/// <summary>A completed step as seen by later steps.</summary>
/// <param name="Name">The step's name.</param>
/// <param name="Output">The step's output.</param>
public sealed record StepResult(string Name, FlowValue Output);

/// <summary>A failure, as handed to <c>OnError</c> handlers, <c>OnFailure</c> hooks and reported in <see cref="RunInfo"/>.</summary>
public sealed record StepError
{
    /// <summary>The failing step or block.</summary>
    [JsonPropertyName("step")]
    public string? Step { get; init; }

    /// <summary>The full name of the exception type that caused the failure.</summary>
    [JsonPropertyName("errorType")]
    public string ErrorType { get; init; } = "";

    /// <summary>The failure's message.</summary>
    [JsonPropertyName("message")]
    public string Message { get; init; } = "";

    /// <summary>A Cronflow error code where the failure is Cronflow's own (timeouts, limits, versioning).</summary>
    [JsonPropertyName("code")]
    public string? Code { get; init; }

    /// <summary>For <c>Parallel</c> and <c>Race</c> blocks: the outcome of each branch, in branch order.</summary>
    [JsonPropertyName("branches")]
    public IReadOnlyList<BranchOutcome>? Branches { get; init; }

    /// <inheritdoc />
    public override string ToString() => Step is null ? $"{ErrorType}: {Message}" : $"{Step}: {ErrorType}: {Message}";
}

/// <summary>How one branch of a block ended.</summary>
public sealed record BranchOutcome
{
    /// <summary>The branch's position, from 0.</summary>
    [JsonPropertyName("index")]
    public int Index { get; init; }

    /// <summary>The branch's name (<c>block[index]</c>).</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>Completed, Failed, Running (still in flight when the block was decided) or Pending (never started).</summary>
    [JsonPropertyName("status")]
    public StepStatus Status { get; init; }

    /// <summary>The branch's output, when it completed.</summary>
    [JsonPropertyName("output")]
    public FlowValue? Output { get; init; }

    /// <summary>The branch's error, when it failed.</summary>
    [JsonPropertyName("error")]
    public StepError? Error { get; init; }
}
