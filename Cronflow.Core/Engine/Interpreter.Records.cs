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
