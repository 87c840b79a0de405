using System.Diagnostics;
using System.Globalization;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Cronflow;

/// <summary>
/// Traces, metrics and logs of the interpreter (see <see cref="CronflowTelemetry"/>). Every signal is emitted only
/// when the orchestration is not replaying, at the moment its outcome is known, so each appears once however often
/// the history is replayed; spans carry the orchestration times their work started and ended at.
/// </summary>
internal sealed partial class Interpreter
{
    private RunTrace _trace = null!;

    /// <summary>The span new spans hang under: the run's, or the block's whose work is running (flows with the awaits).</summary>
    private readonly AsyncLocal<ActivitySpanIdBox?> _span = new();

    private ActivitySpanId CurrentSpan => _span.Value?.Id ?? OwnSpan;

    /// <summary>The span this instance's spans hang under outside any block: the run's own, or the one given from outside.</summary>
    private ActivitySpanId OwnSpan => IsOwnRun ? _trace.RunSpan : _trace.Parent;

    /// <summary>Whether this instance is a run of its own (not a chunk or nested loop of one).</summary>
    private bool IsOwnRun => _input.Chunk is null && _input.Loop is null;

    /// <summary>The logger category of run logs.</summary>
    internal const string LogCategory = Log.RunsCategory;

    /// <summary>Called once the run's identity is known: counts a new run and logs its start.</summary>
    private void BeginTrace()
    {
        _trace = new RunTrace(_input.Trace, _runId);
        if (!IsOwnRun || _input.Resume is not null || _context.IsReplaying)
        {
            return;
        }

        var workflow = new KeyValuePair<string, object?>("cronflow.workflow.id", _definition.Id);
        CronflowTelemetry.RunsStarted.Add(1, workflow);
        CronflowTelemetry.RunsActive.Add(1, workflow);
        var log = _context.CreateReplaySafeLogger(LogCategory);
        if (log.IsEnabled(LogLevel.Information))
        {
            using (log.BeginScope(RunScope()))
            {
                Log.RunStarted(log, _definition.Id, _runId);
            }
        }
    }

    /// <summary>Called once the run's outcome is decided: emits the run span, counts the finished run and logs it.</summary>
    private void EndTrace(RunResult result)
    {
        if (!IsOwnRun || _context.IsReplaying)
        {
            return;
        }

        // Span ids, tags and names are built only for listeners: most runs have none.
        var error = result.Status == RunStatus.Completed ? null : result.Error?.Message ?? result.Status.ToString();
        if (CronflowTelemetry.Source.HasListeners())
        {
            _trace.Emit($"run {_definition.Id}", _trace.RunSpan, _trace.Parent, _startedAt, Now, RunTags(), result.Status == RunStatus.Failed ? error : null);
        }

        var workflow = new KeyValuePair<string, object?>("cronflow.workflow.id", _definition.Id);
        if (CronflowTelemetry.RunsFinished.Enabled)
        {
            CronflowTelemetry.RunsFinished.Add(1, workflow, new KeyValuePair<string, object?>("cronflow.run.status", result.Status.ToString()));
        }

        CronflowTelemetry.RunsActive.Add(-1, workflow);
        var log = _context.CreateReplaySafeLogger(LogCategory);
        if (log.IsEnabled(result.Status == RunStatus.Failed ? LogLevel.Error : LogLevel.Information))
        {
            using (log.BeginScope(RunScope()))
            {
                if (result.Status == RunStatus.Failed)
                {
                    Log.RunFailed(log, _definition.Id, _runId, result.Error?.ErrorType, error);
                }
                else
                {
                    Log.RunFinished(log, _definition.Id, _runId, result.Status.ToString(), (Now - _startedAt).TotalSeconds);
                }
            }
        }
    }

    /// <summary>The trace of a child instance (a subflow, a chunk, a nested loop), hung under the current span.</summary>
    private TraceInput ChildTrace() => _trace.Child(CurrentSpan);

    /// <summary>Runs one attempt of a block node inside its span (<c>{kind} {name}</c>); steps get theirs per activity call.</summary>
    private async Task<FlowValue> RunTracedAsync(Node node, Scope scope, int attempt, BlockState block, CancellationToken cancel)
    {
        if (node is StepNode or IfNode or CancelNode)
        {
            return await RunWithTimeoutAsync(node, scope, attempt, block, cancel);
        }

        var start = Now;
        var parent = _span.Value;
        var span = new ActivitySpanIdBox(_trace, _context.InstanceId, node.Path, scope.Key, attempt, start);
        _span.Value = span;
        string? error = null;
        try
        {
            return await RunWithTimeoutAsync(node, scope, attempt, block, cancel);
        }
        catch (NodeFailure failure)
        {
            error = failure.Error.Message;
            throw;
        }
        finally
        {
            if (!_context.IsReplaying && CronflowTelemetry.Source.HasListeners())
            {
                _trace.Emit($"{node.Kind} {node.Name}", span.Id, parent?.Id ?? OwnSpan, start, Now, StepTags(node.Name, node.Kind, attempt), error);
            }
        }
    }

    /// <summary>
    /// Emits the span and duration of one step attempt (an activity call) whose outcome has just arrived. A null
    /// <c>parent</c> is the instance's own span (<see cref="OwnSpan"/>); either is hashed only when a span is emitted.
    /// </summary>
    private void EndStepSpan(string path, string name, int attempt, int call, DateTimeOffset start, ActivitySpanIdBox? parent, StepError? error)
    {
        if (_context.IsReplaying)
        {
            return;
        }

        var end = Now;
        if (CronflowTelemetry.Source.HasListeners())
        {
            var kind = path.Contains('#', StringComparison.Ordinal) ? path[(path.IndexOf('#', StringComparison.Ordinal) + 1)..] : "step";
            var span = _trace.SpanId("step", _context.InstanceId, _generation.ToString(CultureInfo.InvariantCulture), call.ToString(CultureInfo.InvariantCulture), path, start.UtcTicks.ToString(CultureInfo.InvariantCulture));
            _trace.Emit($"step {name}", span, parent?.Id ?? OwnSpan, start, end, StepTags(name, kind, attempt), error?.Message);
        }

        if (CronflowTelemetry.StepDuration.Enabled)
        {
            CronflowTelemetry.StepDuration.Record(
                (end - start).TotalSeconds,
                new KeyValuePair<string, object?>("cronflow.workflow.id", _definition.Id),
                new KeyValuePair<string, object?>("cronflow.step.name", name),
                new KeyValuePair<string, object?>("cronflow.step.status", error is null ? "Completed" : "Failed"));
        }

        if (error is not null)
        {
            var log = _context.CreateReplaySafeLogger(LogCategory);
            if (log.IsEnabled(LogLevel.Warning))
            {
                using (log.BeginScope(RunScope()))
                {
                    Log.StepFailed(log, _definition.Id, _runId, name, attempt, error.ErrorType, error.Message);
                }
            }
        }
    }

    private Dictionary<string, object?> RunScope() => new()
    {
        ["cronflow.workflow.id"] = _definition.Id,
        ["cronflow.run.id"] = _runId,
    };

    private List<KeyValuePair<string, object?>> RunTags() =>
    [
        new("cronflow.workflow.id", _definition.Id),
        new("cronflow.run.id", _runId),
    ];

    private List<KeyValuePair<string, object?>> StepTags(string name, string kind, int attempt) =>
    [
        new("cronflow.workflow.id", _definition.Id),
        new("cronflow.run.id", _runId),
        new("cronflow.step.name", name),
        new("cronflow.step.kind", kind),
        new("cronflow.step.attempt", attempt),
    ];

    /// <summary>
    /// A block's span id, held by reference so that an <see cref="AsyncLocal{T}"/> can hold it, and hashed from its parts
    /// only when it is read: a span emitted, or a child instance's trace. Replayed episodes and runs nobody traces never
    /// pay for the hash.
    /// </summary>
    private sealed class ActivitySpanIdBox(RunTrace trace, string instanceId, string path, string scopeKey, int attempt, DateTimeOffset start)
    {
        private ActivitySpanId? _id;

        public ActivitySpanId Id => _id ??= trace.SpanId(
            "block", instanceId, path, scopeKey, attempt.ToString(CultureInfo.InvariantCulture), start.UtcTicks.ToString(CultureInfo.InvariantCulture));
    }
}
