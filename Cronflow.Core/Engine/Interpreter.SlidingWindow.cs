namespace Cronflow;

internal sealed partial class Interpreter
{
    /// <summary>
    /// Runs <c>count</c> tasks with at most <c>limit</c> in flight, starting the next as soon as one finishes (a sliding
    /// window, not waves). The first failure decides: the remaining tasks are abandoned (their block token is
    /// cancelled, so they start nothing new) and the caller's exception is thrown. Results come back in index order.
    /// With a <see cref="BlockState"/>, abandoned tasks are handed on as its leftovers, and (unless
    /// <c>countLeftovers</c> is false) leftovers of earlier attempts that still run take places in the window until they end.
    /// </summary>
    private sealed class SlidingWindow(Interpreter owner, int count, int limit, CancellationToken cancel, BlockState? attempts = null, bool countLeftovers = true)
    {
        private readonly Dictionary<Task<FlowValue>, int> _inFlight = [];

        /// <summary>The tasks in flight now.</summary>
        public List<Task> Running() => [.. _inFlight.Keys];

        public FlowValue[] Results { get; } = new FlowValue[count];

        public BranchState[] States { get; } = new BranchState[count];

        /// <summary>Marks tasks whose results arrived in the same batch of events as completed.</summary>
        public void CollectArrived()
        {
            foreach (var (task, index) in _inFlight)
            {
                if (task.IsCompletedSuccessfully)
                {
                    Results[index] = task.Result;
                    States[index] = BranchState.Completed;
                }
            }
        }

        public async Task<FlowValue[]> RunAsync(Func<int, CancellationToken, Task<FlowValue>> start, Func<int, NodeFailure, Exception> fail)
        {
            using var block = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var window = Math.Max(1, limit);
            var next = 0;

            // Work an earlier attempt left running keeps its places in the window until it ends.
            var held = countLeftovers && attempts is not null ? attempts.Leftovers.Where(t => !t.IsCompleted).ToList() : [];

            void StartMore()
            {
                // An empty list starts nothing and completes at once with no results.
                while (next < count && _inFlight.Count + held.Count < window && !block.IsCancellationRequested)
                {
                    var index = next++;
                    States[index] = BranchState.Running;
                    _inFlight[start(index, block.Token)] = index;
                }
            }

            StartMore();
            while (_inFlight.Count > 0 || (next < count && held.Count > 0))
            {
                var done = await Task.WhenAny(held.Count == 0 ? _inFlight.Keys : [.. _inFlight.Keys, .. held]);
                if (done is not Task<FlowValue> mine || !_inFlight.TryGetValue(mine, out var index))
                {
                    held.Remove(done);
                    StartMore();
                    continue;
                }

                _inFlight.Remove(mine);
                if (mine.Exception?.InnerException is { } exception)
                {
                    // A failure decides the block; so does a Cancel step inside an item (it ends the whole run).
                    States[index] = BranchState.Failed;
                    var error = exception is NodeFailure failure ? fail(index, failure) : null;
                    block.Cancel();
                    foreach (var pending in _inFlight.Keys)
                    {
                        owner.Abandon(pending);
                        attempts?.Leftovers.Add(pending);
                    }

                    if (error is null)
                    {
                        await mine;
                    }

                    throw error!;
                }

                Results[index] = await mine;
                States[index] = BranchState.Completed;
                StartMore();
            }

            return Results;
        }
    }

    private enum BranchState
    {
        Pending,
        Running,
        Completed,
        Failed,
    }
}
