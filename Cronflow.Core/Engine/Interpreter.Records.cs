namespace Cronflow;

/// <summary>The run's step records and the results built from them.</summary>
internal sealed partial class Interpreter
{
    /// <summary>Ends records still running or waiting: failed with <paramref name="error"/>, or skipped without one.</summary>
    private void FinishOpenRecords(StepError? error)
    {
        for (var i = 0; i < _progress.Steps.Count; i++)
        {
            if (_progress.Steps[i].Status is StepStatus.Running or StepStatus.Waiting or StepStatus.Pending)
            {
                _progress.Steps[i] = error is null
                    ? _progress.Steps[i] with { Status = StepStatus.Skipped, CompletedAt = Now }
                    : _progress.Steps[i] with { Status = StepStatus.Failed, CompletedAt = Now, Error = error };
            }
        }
    }

    /// <summary>The node's step record (a new one, or the one a continued run left running); -1 inside for-each items.</summary>
    private int BeginRecord(Node node, Scope scope) => !scope.Record ? -1 : TakeResumeRecord(node) ?? StartRecord(node.Name, node.Kind, node.Path);

    /// <summary>Marks a record whose node failed: skipped when its block was already decided, failed otherwise.</summary>
    private void EndRecordFailed(int record, StepError error, CancellationToken cancel)
    {
        if (cancel.IsCancellationRequested)
        {
            UpdateRecord(record, r => r with { Status = StepStatus.Skipped, CompletedAt = Now });
        }
        else
        {
            UpdateRecord(record, r => r with { Status = StepStatus.Failed, CompletedAt = Now, Error = error });
        }
    }

    private RunDetails Run => new(_runId, _definition.Id, _startedAt);

    private int StartRecord(string name, string kind, string path)
    {
        _progress.Steps.Add(new StepRecord { Name = name, Kind = kind, Path = path, Status = StepStatus.Running, StartedAt = Now, Attempts = 1 });
        _recordOutputs.Add(null);
        return _progress.Steps.Count - 1;
    }

    private int? TakeResumeRecord(Node node)
    {
        if (_resumeRecord is { } index && index >= 0 && _progress.Steps[index].Path == node.Path)
        {
            _resumeRecord = null;
            return index;
        }

        return null;
    }

    /// <summary>Marks a record completed with its output (the hot path: no delegate, one copy).</summary>
    private void CompleteRecord(int index, FlowValue output)
    {
        if (index < 0)
        {
            return;
        }

        _progress.Steps[index] = _progress.Steps[index] with { Status = StepStatus.Completed, CompletedAt = Now };
        _recordOutputs[index] = output;
    }

    private void UpdateRecord(int index, Func<StepRecord, StepRecord> update, FlowValue? output = null)
    {
        if (index < 0)
        {
            return;
        }

        _progress.Steps[index] = update(_progress.Steps[index]);
        if (output is not null)
        {
            _recordOutputs[index] = output;
        }
    }

    private void SetDetail(Scope scope, Node node, string detail)
    {
        if (scope.Record)
        {
            UpdateRecordByPath(node.Path, r => r with { Detail = detail });
        }
    }

    private void UpdateRecordByPath(string path, Func<StepRecord, StepRecord> update)
    {
        for (var i = _progress.Steps.Count - 1; i >= 0; i--)
        {
            if (_progress.Steps[i].Path == path)
            {
                _progress.Steps[i] = update(_progress.Steps[i]);
                return;
            }
        }
    }

    private RunResult Completed(FlowValue output) => new()
    {
        Status = RunStatus.Completed,
        Output = output.ToNullableJson(),
        Steps = RecordsWithOutputs(),
        CompletedAt = VirtualEnd,
    };

    private RunResult Failed(StepError error) => new()
    {
        Status = RunStatus.Failed,
        Error = error,
        Steps = RecordsWithOutputs(),
        CompletedAt = VirtualEnd,
    };

    private RunResult Cancelled(StepError error) => new()
    {
        Status = RunStatus.Cancelled,
        Error = error,
        Steps = RecordsWithOutputs(),
        CompletedAt = VirtualEnd,
    };

    private List<StepRecord> RecordsWithOutputs()
    {
        var records = new List<StepRecord>(_progress.Steps.Count);
        for (var i = 0; i < _progress.Steps.Count; i++)
        {
            records.Add(_recordOutputs[i] is { } output ? _progress.Steps[i] with { Output = output } : _progress.Steps[i]);
        }

        return records;
    }
}
