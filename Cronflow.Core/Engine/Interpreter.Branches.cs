namespace Cronflow;

/// <summary>Parallel, race and if blocks.</summary>
internal sealed partial class Interpreter
{
    private async Task<FlowValue> RunParallelAsync(ParallelNode node, Scope scope, int attempt, BlockState? block, CancellationToken cancel)
    {
        var count = node.Branches.Count;
        var window = new SlidingWindow(Abandon, count, node.MaxConcurrency ?? count, cancel, node.MaxConcurrency is null ? null : block) { Clock = LaneClock(scope) };
        if (block is not null)
        {
            block.Snapshot = () => Outcomes(node, window, null, null);
            block.InFlight = window.Running;
        }

        try
        {
            var results = await window.RunAsync(
                (index, token) => CallStepAsync(node.BranchPath(index), node.BranchName(index), scope, attempt, null, null, token),
                (index, failure) => new NodeFailure(RunErrors.ParallelBranchFailed(node.BranchName(index), index, node.Name, failure.Error, Outcomes(node, window, index, failure.Error))));
            return _stored.Combined(FlowValues.Array(results), results);
        }
        finally
        {
            SetLanes(scope, node, () => window.Lanes(i => node.BranchName(i)));
        }
    }

    private async Task<FlowValue> RunRaceAsync(RaceNode node, Scope scope, int attempt, BlockState? blockState, CancellationToken cancel)
    {
        var count = node.Branches.Count;
        var errors = new StepError?[count];
        var states = new BranchState[count];
        var results = new FlowValue[count];
        var inFlight = new Dictionary<Task<FlowValue>, int>();
        var started = Now;
        var ended = new DateTimeOffset?[count];
        int? winner = null;
        using var block = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        try
        {
            return await RaceAsync();
        }
        finally
        {
            SetLanes(scope, node, () => [.. Enumerable.Range(0, Math.Min(count, StepRecord.MaxLanes)).Select(i => new StepLane
            {
                Index = i,
                Name = node.BranchName(i),
                Status = i == winner ? StepStatus.Completed : states[i] == BranchState.Failed ? StepStatus.Failed : StepStatus.Skipped,
                StartedAt = started,
                CompletedAt = ended[i],
                Won = i == winner,
            })]);
        }

        async Task<FlowValue> RaceAsync()
        {
            for (var i = 0; i < count; i++)
            {
                states[i] = BranchState.Running;
                inFlight[CallStepAsync(node.BranchPath(i), node.BranchName(i), scope, attempt, null, null, block.Token)] = i;
            }

            if (blockState is not null)
            {
                blockState.Snapshot = () => Enumerable.Range(0, count)
                    .Select(i => new BranchOutcome { Index = i, Name = node.BranchName(i), Status = states[i] == BranchState.Failed ? StepStatus.Failed : StepStatus.Running, Error = errors[i] })
                    .ToList();
            }

            while (inFlight.Count > 0)
            {
                var done = await Task.WhenAny(inFlight.Keys);
                var index = inFlight[done];
                inFlight.Remove(done);
                ended[index] = Now;
                if (done.Exception?.InnerException is NodeFailure failure)
                {
                    states[index] = BranchState.Failed;
                    errors[index] = failure.Error;
                    continue;
                }

                // The first success decides the race. Losing activities cannot be stopped; their results are ignored.
                winner = index;
                block.Cancel();
                foreach (var loser in inFlight.Keys)
                {
                    Abandon(loser);
                }

                return await done;
            }

            var outcomes = Enumerable.Range(0, count)
                .Select(i => new BranchOutcome { Index = i, Name = node.BranchName(i), Status = StepStatus.Failed, Error = errors[i] })
                .ToList();
            throw new NodeFailure(RunErrors.RaceFailed(node.Name, outcomes));
        }
    }

    /// <summary>Each branch's outcome as of now; results that arrived in the same batch of events count as completed.</summary>
    private static List<BranchOutcome> Outcomes(BranchesNode node, SlidingWindow window, int? failedIndex, StepError? failedError)
    {
        window.CollectArrived();
        return Enumerable.Range(0, window.States.Length).Select(i => new BranchOutcome
        {
            Index = i,
            Name = node.BranchName(i),
            Status = i == failedIndex ? StepStatus.Failed : window.States[i] switch
            {
                BranchState.Completed => StepStatus.Completed,
                BranchState.Failed => StepStatus.Failed,
                BranchState.Running => StepStatus.Running,
                _ => StepStatus.Pending,
            },
            Output = window.States[i] == BranchState.Completed ? window.Results[i] : null,
            Error = i == failedIndex ? failedError : null,
        }).ToList();
    }

    private async Task<FlowValue> RunIfAsync(IfNode node, Scope scope, CancellationToken cancel)
    {
        var flow = Flow(scope);
        foreach (var branch in node.Branches)
        {
            if (await EvaluateAsync(node, branch.Name, () => branch.Condition(flow)))
            {
                SetDetail(scope, node, $"branch {branch.Name}");
                return await ExecuteListAsync(branch.Nodes, scope, cancel);
            }
        }

        if (node.Else is { } otherwise)
        {
            SetDetail(scope, node, "branch else");
            return await ExecuteListAsync(otherwise, scope, cancel);
        }

        SetDetail(scope, node, "no branch matched");
        return scope.Last;
    }

    private static T Evaluate<T>(Node node, string what, Func<T> evaluate)
    {
        try
        {
            return evaluate();
        }
        catch (Exception ex) when (ex is not NodeFailure)
        {
            throw new NodeFailure(RunErrors.ConditionFailed(node.Name, what, Describe(node), ex));
        }
    }

    /// <summary>
    /// Evaluates a condition or selector over the run's values. One that reads an output this orchestration holds only
    /// by reference (see <see cref="StoredOutputs.Resolve"/>) is evaluated again once that output is fetched: user code
    /// here is pure, so the second evaluation sees what the first would have with the value at hand.
    /// </summary>
    private async ValueTask<T> EvaluateAsync<T>(Node node, string what, Func<T> evaluate)
    {
        while (true)
        {
            T value;
            try
            {
                value = evaluate();
            }
            catch (Exception ex) when (ex is not NodeFailure)
            {
                if (_stored.TakeMissing() is { } missing)
                {
                    await FetchOutputAsync(node, missing);
                    continue;
                }

                throw new NodeFailure(RunErrors.ConditionFailed(node.Name, what, Describe(node), ex));
            }

            // Code that caught the fetch signal itself decided without the value: evaluate again with it.
            if (_stored.TakeMissing() is { } swallowed)
            {
                await FetchOutputAsync(node, swallowed);
                continue;
            }

            return value;
        }
    }
}
