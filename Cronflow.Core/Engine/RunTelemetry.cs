using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Cronflow;

/// <summary>
/// The names of Cronflow's traces and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both
/// named <see cref="Name"/>. Subscribe to them with the OpenTelemetry SDK (<c>AddSource("Cronflow")</c>,
/// <c>AddMeter("Cronflow")</c>) or with an <see cref="ActivityListener"/> / <see cref="MeterListener"/>.
/// </summary>
public static class CronflowTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "Cronflow";

    internal static readonly ActivitySource Source = new(Name);
    internal static readonly Meter Meter = new(Name);
    internal static readonly Counter<long> RunsStarted = Meter.CreateCounter<long>("cronflow.runs.started", "{run}", "Runs started.");
    internal static readonly Counter<long> RunsFinished = Meter.CreateCounter<long>("cronflow.runs.finished", "{run}", "Runs finished, by status.");
    internal static readonly UpDownCounter<long> RunsActive = Meter.CreateUpDownCounter<long>("cronflow.runs.active", "{run}", "Runs started and not finished.");
    internal static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("cronflow.step.duration", "s", "Duration of step attempts.");

    /// <summary>The incoming <c>traceparent</c> of an HTTP trigger or webhook delivery, read when the run is created.</summary>
    internal static readonly AsyncLocal<string?> IncomingTraceParent = new();

    /// <summary>
    /// The trace a new run belongs to: <see cref="Activity.Current"/> of the caller, else the <c>traceparent</c> of the
    /// HTTP request that triggers it, else a new trace.
    /// </summary>
    internal static TraceInput NewRunTrace()
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current)
        {
            return new TraceInput { TraceId = current.TraceId.ToHexString(), ParentSpanId = current.SpanId.ToHexString() };
        }

        if (IncomingTraceParent.Value is { } header && ActivityContext.TryParse(header, null, out var context))
        {
            return new TraceInput { TraceId = context.TraceId.ToHexString(), ParentSpanId = context.SpanId.ToHexString() };
        }

        return new TraceInput { TraceId = ActivityTraceId.CreateRandom().ToHexString() };
    }
}

/// <summary>The trace a run, chunk or loop instance belongs to and the span its spans hang under (in its input).</summary>
internal sealed class TraceInput
{
    [JsonPropertyName("t")]
    public string TraceId { get; set; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("p")]
    public string? ParentSpanId { get; set; }
}

/// <summary>
/// The spans of one orchestration instance. Durable Task replays orchestration code, so spans are emitted only
/// when not replaying, once their outcome is known, with the orchestration times they started and ended at; span
/// ids derive from the trace, the instance and the node, so every replay, host and continue-as-new agrees on them.
/// </summary>
internal sealed class RunTrace
{
    private static readonly Action<Activity, string>? SetSpanId = Setter("_spanId");
    private static readonly Action<Activity, string>? SetTraceId = Setter("_traceId");
    private static readonly Action<Activity, string>? SetId = Setter("_id");

    private readonly TraceInput? _input;
    private readonly string _runId;
    private ActivityTraceId? _traceId;
    private ActivitySpanId? _parent;
    private ActivitySpanId? _runSpan;

    // The ids are hashed when first asked for: every episode replays the run and builds its trace, and most never emit
    // a span (no listener, or replaying).
    public RunTrace(TraceInput? input, string runId)
    {
        _input = input;
        _runId = runId;
    }

    public ActivityTraceId TraceId => _traceId ??= _input is not null && IsHex(_input.TraceId, 32)
        ? ActivityTraceId.CreateFromString(_input.TraceId)
        : ActivityTraceId.CreateFromBytes(Hash("trace", _runId).AsSpan(0, 16));

    /// <summary>The span this instance's spans hang under from outside: the caller of a run, the block of a chunk.</summary>
    public ActivitySpanId Parent => _parent ??= _input?.ParentSpanId is { } parent && IsHex(parent, 16) ? ActivitySpanId.CreateFromString(parent) : default;

    /// <summary>The run span's id.</summary>
    public ActivitySpanId RunSpan => _runSpan ??= SpanId("run", _runId);

    /// <summary>The trace of a child instance (a subflow run, a chunk, a nested loop) hung under <paramref name="parent"/>.</summary>
    public TraceInput Child(ActivitySpanId parent) => new() { TraceId = TraceId.ToHexString(), ParentSpanId = parent == default ? null : parent.ToHexString() };

    /// <summary>A span id derived from the trace and the parts that identify the span.</summary>
    public ActivitySpanId SpanId(params string[] parts) => ActivitySpanId.CreateFromBytes(Hash(TraceId.ToHexString(), string.Join('\u001f', parts)).AsSpan(0, 8));

    /// <summary>Emits one finished span (no-op without listeners).</summary>
    public void Emit(string name, ActivitySpanId spanId, ActivitySpanId parent, DateTimeOffset start, DateTimeOffset end, IEnumerable<KeyValuePair<string, object?>> tags, string? error)
    {
        if (!CronflowTelemetry.Source.HasListeners())
        {
            return;
        }

        // The engine runs orchestration code inside its own span; a Cronflow span's parent is always explicit.
        var ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            var parentContext = parent == default ? default : new ActivityContext(TraceId, parent, ActivityTraceFlags.Recorded, isRemote: true);
            using var activity = CronflowTelemetry.Source.StartActivity(name, ActivityKind.Internal, parentContext, tags, null, start);
            if (activity is null)
            {
                return;
            }

            if (activity.IdFormat == ActivityIdFormat.W3C && SetSpanId is not null && SetTraceId is not null && SetId is not null)
            {
                var span = spanId.ToHexString();
                var trace = TraceId.ToHexString();
                SetTraceId(activity, trace);
                SetSpanId(activity, span);
                SetId(activity, $"00-{trace}-{span}-{(activity.Recorded ? "01" : "00")}");
            }

            if (error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, error);
            }

            activity.SetEndTime(end.UtcDateTime);
        }
        finally
        {
            Activity.Current = ambient;
        }
    }

    private static byte[] Hash(string a, string b) => SHA256.HashData(Encoding.UTF8.GetBytes(a + "\u001e" + b));

    private static bool IsHex(string value, int length) => value.Length == length && value.All(char.IsAsciiHexDigitLower) && value.Any(c => c != '0');

    private static Action<Activity, string>? Setter(string field)
    {
        // Activity offers no way to choose a span's id; Durable Task sets the same private fields for its own spans.
        var info = typeof(Activity).GetField(field, BindingFlags.Instance | BindingFlags.NonPublic);
        return info is null || info.FieldType != typeof(string) ? null : (activity, value) => info.SetValue(activity, value);
    }
}
