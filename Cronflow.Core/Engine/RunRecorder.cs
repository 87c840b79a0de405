namespace Cronflow;

/// <summary>
/// The step records of one run execution. A record's state lives in the run's custom status (the list of
/// <see cref="RunProgress.Steps"/>, which clients read while the run goes on) and its output only here: outputs can be
/// large and the custom status is rewritten on every episode. <see cref="WithOutputs"/> joins the two for the run's
/// result and for the input of a run that continues as new. A record is addressed by the number <see cref="Start"/> or
/// <see cref="Begin"/> returned; <see cref="None"/> stands for work that is not recorded (inside for-each items), and
/// every method ignores it.
/// </summary>
/// <param name="records">The records the custom status carries; this recorder is the only one to change them.</param>
/// <param name="now">The orchestration's clock.</param>
internal sealed class RunRecorder(List<StepRecord> records, Func<DateTimeOffset> now)
{
    /// <summary>The record of work that is not recorded.</summary>
    public const int None = -1;

    private readonly List<FlowValue?> _outputs = [];

    /// <summary>The record a continued run left running, taken by the node that resumes it (see <see cref="Begin"/>).</summary>
    private int? _resumed;

    /// <summary>Starts a record, running at its first attempt.</summary>
    public int Start(string name, string kind, string path)
    {
        records.Add(new StepRecord { Name = name, Kind = kind, Path = path, Status = StepStatus.Running, StartedAt = now(), Attempts = 1 });
        _outputs.Add(null);
        return records.Count - 1;
    }

    /// <summary>The node's record: the one a continued run left running for it, or a new one.</summary>
    public int Begin(Node node)
    {
        if (_resumed is { } index && index >= 0 && records[index].Path == node.Path)
        {
            _resumed = null;
            return index;
        }

        return Start(node.Name, node.Kind, node.Path);
    }

    /// <summary>Takes over the records of the execution this run continues from (see <see cref="ResumeState.Records"/>).</summary>
    public void Restore(IEnumerable<StepRecord> previous)
    {
        foreach (var record in previous)
        {
            records.Add(record with { Output = null });
            _outputs.Add(record.Output);
        }

        _resumed = records.FindLastIndex(r => r.Status == StepStatus.Running);
    }

    /// <summary>Notes the attempt a record's node is at.</summary>
    public void SetAttempts(int record, int attempts)
    {
        if (record >= 0 && records[record].Attempts != attempts)
        {
            records[record] = records[record] with { Attempts = attempts };
        }
    }

    /// <summary>Marks a record completed with its output (the hot path: no delegate, one copy).</summary>
    public void Complete(int record, FlowValue output)
    {
        if (record < 0)
        {
            return;
        }

        records[record] = records[record] with { Status = StepStatus.Completed, CompletedAt = now() };
        _outputs[record] = output;
    }

    /// <summary>Marks a record whose node failed: skipped when its block was already <paramref name="decided"/>, failed otherwise.</summary>
    public void Fail(int record, StepError error, bool decided)
    {
        if (decided)
        {
            Update(record, r => r with { Status = StepStatus.Skipped, CompletedAt = now() });
        }
        else
        {
            Update(record, r => r with { Status = StepStatus.Failed, CompletedAt = now(), Error = error });
        }
    }

    /// <summary>Changes a record, and sets its output when one is given.</summary>
    public void Update(int record, Func<StepRecord, StepRecord> update, FlowValue? output = null)
    {
        if (record < 0)
        {
            return;
        }

        records[record] = update(records[record]);
        if (output is not null)
        {
            _outputs[record] = output;
        }
    }

    /// <summary>Changes the latest record of the node at <paramref name="path"/>, if there is one.</summary>
    public void UpdateLatest(string path, Func<StepRecord, StepRecord> update)
    {
        for (var i = records.Count - 1; i >= 0; i--)
        {
            if (records[i].Path == path)
            {
                records[i] = update(records[i]);
                return;
            }
        }
    }

    /// <summary>Ends records still running or waiting: failed with <paramref name="error"/>, or skipped without one.</summary>
    public void FinishOpen(StepError? error)
    {
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Status is StepStatus.Running or StepStatus.Waiting or StepStatus.Pending)
            {
                records[i] = error is null
                    ? records[i] with { Status = StepStatus.Skipped, CompletedAt = now() }
                    : records[i] with { Status = StepStatus.Failed, CompletedAt = now(), Error = error };
            }
        }
    }

    /// <summary>A copy of the records, each with its output.</summary>
    public List<StepRecord> WithOutputs()
    {
        var copy = new List<StepRecord>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            copy.Add(_outputs[i] is { } output ? records[i] with { Output = output } : records[i]);
        }

        return copy;
    }
}
