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

    private RunResult Completed(FlowValue output) => new()
    {
        Status = RunStatus.Completed,
        Output = output.ToNullableJson(),
        Steps = _records.WithOutputs(),
        CompletedAt = VirtualEnd,
    };

    private RunResult Failed(StepError error) => new()
    {
        Status = RunStatus.Failed,
        Error = error,
        Steps = _records.WithOutputs(),
        CompletedAt = VirtualEnd,
    };

    private RunResult Cancelled(StepError error) => new()
    {
        Status = RunStatus.Cancelled,
        Error = error,
        Steps = _records.WithOutputs(),
        CompletedAt = VirtualEnd,
    };
}
