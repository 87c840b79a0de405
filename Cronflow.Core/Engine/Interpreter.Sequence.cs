using Microsoft.DurableTask;

namespace Cronflow;

/// <summary>Sequences of nodes, and each node with its retry, <c>OnError</c> and timeout policy.</summary>
internal sealed partial class Interpreter
{
    private async Task<FlowValue> ExecuteListAsync(IReadOnlyList<Node> nodes, Scope scope, CancellationToken cancel, int startIndex = 0)
    {
        for (var index = startIndex; index < nodes.Count; index++)
        {
            var node = nodes[index];
            ThrowIfAbandoned(cancel);
            if (node is StepNode { IsAction: true } action)
            {
                _actions.Add(RunActionAsync(action, scope.Snapshot(), cancel));
                continue;
            }

            FlowValue output;
            if (node is StepNode { Policy.IsPlain: true } step)
            {
                // A plain step awaits its activity call here, in the sequence's frame: no async frame of its own, and
                // one continuation fewer per step in every replayed episode (each goes through the orchestration's
                // synchronization context).
                var record = BeginRecord(node, scope);
                StepCall call = default;
                StepOutcome outcome;
                try
                {
                    call = StartCall(step.Path, step.Name, scope, 1, null, null, null, cancel);
                    outcome = await call.Outcome;
                }
                catch (TaskFailedException ex)
                {
                    var failure = CallFailed(call, ex);
                    _records.Fail(record, failure.Error, cancel.IsCancellationRequested);
                    throw failure;
                }
                catch (NodeFailure failure)
                {
                    _records.Fail(record, failure.Error, cancel.IsCancellationRequested);
                    throw;
                }
                finally
                {
                    EndCall(call);
                }

                output = CallCompleted(call, outcome);
                _records.Complete(record, output);
            }
            else
            {
                output = await ExecuteNodeAsync(node, scope, cancel);
            }

            ThrowIfAbandoned(cancel);
            if (node.ProducesOutput)
            {
                scope.Last = output;
                if (node is not IfNode)
                {
                    scope.Set(node.Name, output);
                }
            }
        }

        return scope.Last;
    }

    private async Task RunActionAsync(StepNode action, Scope scope, CancellationToken cancel)
    {
        try
        {
            await ExecuteNodeAsync(action, scope, cancel);
        }
        catch (NodeFailure)
        {
            // Recorded by ExecuteNodeAsync; a failing action does not fail the run.
        }
    }

    /// <summary>Runs one node with its retry policy, timeout and error handler, keeping its step record.</summary>
    private async Task<FlowValue> ExecuteNodeAsync(Node node, Scope scope, CancellationToken cancel)
    {
        var record = BeginRecord(node, scope);
        var attempts = Math.Max(1, node.Policy.Retry?.Attempts ?? 1);
        var block = new BlockState();
        var first = 1;
        if (node is WhileNode && _resumeLoop is { } resume)
        {
            // A loop that continued as new goes on with its attempt, its deadline and where a retry starts over.
            _resumeLoop = null;
            first = Math.Max(1, resume.LoopAttempt);
            block.LoopStart = FlowValue.FromOwned(resume.LoopStart);
            block.ResumeIteration = resume.Iteration;
            block.ResumeDeadline = resume.LoopDeadline;
        }

        for (var attempt = first; ; attempt++)
        {
            _records.StartAttempt(record, attempt);

            StepError error;
            try
            {
                var output = await RunTracedAsync(node, scope, attempt, block, cancel);
                _records.Complete(record, output);
                return output;
            }
            catch (NodeFailure failure) when (cancel.IsCancellationRequested)
            {
                _records.Fail(record, failure.Error, cancel.IsCancellationRequested);
                throw;
            }
            catch (NodeFailure failure)
            {
                error = failure.Error;
            }
            catch (RunCancelledSignal)
            {
                // A Cancel step did what it is for; a block it ended is left unfinished.
                _records.Update(record, r => _records.Closed(r, null) with { Status = node is CancelNode ? StepStatus.Completed : StepStatus.Skipped, CompletedAt = Now });
                throw;
            }

            var retry = attempt < attempts && ShouldRetry(node.Policy.Retry!, error);
            _records.EndAttempt(record, error, retry);
            if (retry)
            {
                var delay = node.Policy.Retry!.Backoff?.DelayBefore(attempt) ?? TimeSpan.Zero;
                if (delay > TimeSpan.Zero)
                {
                    await TimerAsync(Now.UtcDateTime + delay, cancel);
                }

                if (node is StepNode or WhileNode)
                {
                    // A step or a loop runs one body at a time: the next attempt waits for the body an earlier attempt
                    // left running (one that outlived its timeout) to end. Blocks count such work in their window.
                    await SettleAsync(block.Leftovers);
                    ThrowIfAbandoned(cancel);
                }

                continue;
            }

            if (node.Policy.OnError is not null)
            {
                FlowValue handled;
                try
                {
                    handled = await CallStepAsync(node.Path + WorkflowDefinition.OnErrorSuffix, node.Name, scope, 1, error, null, cancel);
                }
                catch (NodeFailure handlerFailure)
                {
                    // The handler failed too: the node fails with the handler's error.
                    _records.Fail(record, handlerFailure.Error, cancel.IsCancellationRequested);
                    throw;
                }

                _records.Update(record, r => r with { Status = StepStatus.Completed, CompletedAt = Now, Error = error }, handled);
                return handled;
            }

            _records.Fail(record, error, cancel.IsCancellationRequested);
            throw new NodeFailure(error);
        }
    }

    private static bool ShouldRetry(RetryOptions retry, StepError error)
    {
        if (retry.RetryOn.Count == 0)
        {
            return true;
        }

        var details = new TaskFailureDetails(error.ErrorType, error.Message, null, null, null);
        return retry.RetryOn.Any(details.IsCausedBy);
    }

    private Task<FlowValue> RunWithTimeoutAsync(Node node, Scope scope, int attempt, BlockState block, CancellationToken cancel) =>
        node.Policy.Timeout is { } timeout
            ? RunWithTimeoutAsync(node, scope, attempt, timeout, block, cancel)
            : RunNodeAsync(node, scope, attempt, block, cancel);

    private async Task<FlowValue> RunWithTimeoutAsync(Node node, Scope scope, int attempt, TimeSpan timeout, BlockState block, CancellationToken cancel)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var timerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);

        // A loop's timeout covers the whole loop: a loop that continued as new keeps the deadline it started with.
        var fireAt = block.ResumeDeadline?.UtcDateTime ?? Now.UtcDateTime + timeout;
        block.ResumeDeadline = null;
        block.InFlight = null;
        block.Deadline = new DateTimeOffset(fireAt, TimeSpan.Zero);
        var task = RunNodeAsync(node, scope, attempt, block, work.Token);
        var timer = TimerAsync(fireAt, timerCancel.Token);
        var winner = await Task.WhenAny(task, timer);
        if (winner == task)
        {
            timerCancel.Cancel();
            return await task;
        }

        var branches = block.Snapshot?.Invoke();
        block.Leftovers.AddRange(block.InFlight?.Invoke() ?? [task]);
        work.Cancel();
        Abandon(task);
        throw new NodeFailure(RunErrors.NodeTimeout(node.Name, Describe(node), timeout, branches));
    }
}
