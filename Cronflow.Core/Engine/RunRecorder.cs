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

    /// <summary>
    /// Notes the attempt a record's node starts; once the node has run more than once (see <see cref="EndAttempt"/>),
    /// the attempt is added to the record's <see cref="StepRecord.Tries"/>, running.
    /// </summary>
    public void StartAttempt(int record, int attempt)
    {
        if (record < 0)
        {
            return;
        }

        // A loop that continued as new goes on with the attempt its record holds, still running: no second entry for it.
        var r = records[record];
        var resumed = r.Tries is [.., { CompletedAt: null } open] && open.Number == attempt;
        if (r.Tries is { } tries && !resumed)
        {
            records[record] = r with { Attempts = attempt, Tries = Append(tries, new StepAttempt { Number = attempt, StartedAt = now() }) };
        }
        else if (r.Attempts != attempt)
        {
            records[record] = r with { Attempts = attempt };
        }
    }

    /// <summary>
    /// Ends the record's current attempt with <paramref name="error"/>. The attempts are kept only once there is more
    /// than one: the first is written when it is <paramref name="retried"/>, from the record's start.
    /// </summary>
    public void EndAttempt(int record, StepError error, bool retried)
    {
        if (record < 0)
        {
            return;
        }

        var r = records[record];
        if (r.Tries is not null)
        {
            records[record] = Closed(r, error);
        }
        else if (retried)
        {
            records[record] = r with { Tries = [new StepAttempt { Number = r.Attempts, StartedAt = r.StartedAt ?? now(), CompletedAt = now(), Error = error }] };
        }
    }

    /// <summary>Sets the lanes (the first <see cref="StepRecord.MaxLanes"/>) and, for a for-each, the item counts of the block at <paramref name="path"/>.</summary>
    public void SetLanes(string path, IReadOnlyList<StepLane> lanes, ItemCounts? items = null) =>
        UpdateLatest(path, r => r with { Lanes = lanes.Count > StepRecord.MaxLanes ? [.. lanes.Take(StepRecord.MaxLanes)] : lanes, Items = items });

    /// <summary>Marks a record completed with its output (the hot path: no delegate, one copy).</summary>
    public void Complete(int record, FlowValue output)
    {
        if (record < 0)
        {
            return;
        }

        records[record] = Closed(records[record], null) with { Status = StepStatus.Completed, CompletedAt = now() };
        _outputs[record] = output;
    }

    /// <summary>Marks a record whose node failed: skipped when its block was already <paramref name="decided"/>, failed otherwise.</summary>
    public void Fail(int record, StepError error, bool decided)
    {
        if (decided)
        {
            Update(record, r => Closed(r, null) with { Status = StepStatus.Skipped, CompletedAt = now() });
        }
        else
        {
            Update(record, r => Closed(r, error) with { Status = StepStatus.Failed, CompletedAt = now(), Error = error });
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
                    ? Closed(records[i], null) with { Status = StepStatus.Skipped, CompletedAt = now() }
                    : Closed(records[i], error) with { Status = StepStatus.Failed, CompletedAt = now(), Error = error };
            }
        }
    }

    /// <summary>The record with its last attempt ended now, if that one still runs.</summary>
    public StepRecord Closed(StepRecord record, StepError? error) =>
        record.Tries is { Count: > 0 } tries && tries[^1].CompletedAt is null
            ? record with { Tries = [.. tries.Take(tries.Count - 1), tries[^1] with { CompletedAt = now(), Error = error }] }
            : record;

    /// <summary>The attempts with one more, keeping the last <see cref="StepRecord.MaxTries"/>.</summary>
    private static List<StepAttempt> Append(IReadOnlyList<StepAttempt> tries, StepAttempt attempt) =>
        [.. tries.Skip(Math.Max(0, tries.Count + 1 - StepRecord.MaxTries)), attempt];

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
