namespace Cronflow;

/// <summary>The run's step records (kept by its <see cref="RunRecorder"/>) and the results built from them.</summary>
internal sealed partial class Interpreter
{
    private RunDetails Run => new(_runId, _definition.Id, _startedAt);

    /// <summary>The node's step record (see <see cref="RunRecorder.Begin"/>); none inside for-each items.</summary>
    private int BeginRecord(Node node, Scope scope) => scope.Record ? _records.Begin(node) : RunRecorder.None;

    private void SetDetail(Scope scope, Node node, string detail)
    {
        if (scope.Record)
        {
            _records.UpdateLatest(node.Path, r => r with { Detail = detail });
        }
    }

    /// <summary>Keeps a block's lanes, and a for-each's item counts, on its record; none inside for-each items.</summary>
    private void SetLanes(Scope scope, Node node, Func<List<StepLane>> lanes, ItemCounts? items = null)
    {
        if (scope.Record)
        {
            _records.SetLanes(node.Path, lanes(), items);
        }
    }

    /// <summary>The orchestration's clock for a sliding window whose lanes are recorded; none inside for-each items.</summary>
    private Func<DateTimeOffset>? LaneClock(Scope scope) => scope.Record ? () => Now : null;

    // withSteps: false for the run's own result, whose records RunAsync takes once its hooks have run.
    private RunResult Completed(FlowValue output, bool withSteps = true) => new()
    {
        Status = RunStatus.Completed,
        Output = output.ToNullableJson(),
        Steps = withSteps ? _records.WithOutputs() : [],
        CompletedAt = VirtualEnd,
    };

    private RunResult Failed(StepError error, bool withSteps = true) => new()
    {
        Status = RunStatus.Failed,
        Error = error,
        Steps = withSteps ? _records.WithOutputs() : [],
        CompletedAt = VirtualEnd,
    };

    private RunResult Cancelled(StepError error, bool withSteps = true) => new()
    {
        Status = RunStatus.Cancelled,
        Error = error,
        Steps = withSteps ? _records.WithOutputs() : [],
        CompletedAt = VirtualEnd,
    };
}
