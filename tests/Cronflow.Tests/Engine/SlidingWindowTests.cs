namespace Cronflow.Tests.Engine;

/// <summary>
/// The window that runs parallel branches, for-each items and chunks, driven directly with tasks the test completes:
/// which task it takes next, what it starts, and what a failure abandons. Each test runs off the test framework's
/// synchronization context, so that the window goes on at once when a task ends, as it does in an orchestration.
/// </summary>
public sealed class SlidingWindowTests
{
    [Fact]
    public Task RunAsync_TasksEndOutOfOrder_ResultsComeBackInIndexOrder() => Task.Run(async () =>
    {
        var sources = Sources(5);
        var window = new SlidingWindow(_ => { }, 5, 5, CancellationToken.None);

        var run = window.RunAsync((i, _) => sources[i].Task, (_, failure) => failure);
        foreach (var i in new[] { 3, 1, 4, 0, 2 })
        {
            sources[i].SetResult(FlowValue.From(i * 10));
        }

        var results = await run;

        Assert.Equal([0, 10, 20, 30, 40], results.Select(r => r.As<int>()));
        Assert.All(window.States, state => Assert.Equal(BranchState.Completed, state));
    });

    [Fact]
    public Task RunAsync_WindowOfTwo_StartsTheNextTaskWhenEitherEnds() => Task.Run(async () =>
    {
        var sources = Sources(4);
        var started = new List<int>();
        var window = new SlidingWindow(_ => { }, 4, 2, CancellationToken.None);

        var run = window.RunAsync(
            (i, _) =>
            {
                started.Add(i);
                return sources[i].Task;
            },
            (_, failure) => failure);
        Assert.Equal([0, 1], started);

        sources[1].SetResult(FlowValue.From(1));
        Assert.Equal([0, 1, 2], started);

        sources[2].SetResult(FlowValue.From(2));
        Assert.Equal([0, 1, 2, 3], started);

        sources[0].SetResult(FlowValue.From(0));
        sources[3].SetResult(FlowValue.From(3));

        Assert.Equal([0, 1, 2, 3], (await run).Select(r => r.As<int>()));
    });

    [Fact]
    public Task RunAsync_SeveralEndedBeforeItsTurn_TakesThemInWindowOrder() => Task.Run(async () =>
    {
        // Tasks that have already ended when the window looks are taken first to last, as Task.WhenAny over the window
        // would take them: the lane times record the order in which the window took them.
        var tick = 0;
        var window = new SlidingWindow(_ => { }, 3, 3, CancellationToken.None)
        {
            Clock = () => DateTimeOffset.UnixEpoch.AddSeconds(tick++),
        };

        await window.RunAsync((i, _) => Task.FromResult(FlowValue.From(i)), (_, failure) => failure);

        var ends = window.Lanes(i => $"lane {i}").Select(lane => lane.CompletedAt!.Value).ToList();
        Assert.Equal(ends.Order(), ends);
        Assert.Equal(3, ends.Distinct().Count());
    });

    [Fact]
    public Task RunAsync_TaskFails_ThrowsTheCallersErrorAndAbandonsTheOthers() => Task.Run(async () =>
    {
        var sources = Sources(3);
        var abandoned = new List<Task>();
        var window = new SlidingWindow(abandoned.Add, 3, 3, CancellationToken.None);

        var run = window.RunAsync((i, _) => sources[i].Task, (index, failure) => new InvalidOperationException($"branch {index}: {failure.Error.Message}"));
        sources[1].SetException(new NodeFailure(new StepError { Message = "boom" }));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.Equal("branch 1: boom", error.Message);
        Assert.Equal(2, abandoned.Count);
        Assert.Contains(sources[0].Task, abandoned);
        Assert.Contains(sources[2].Task, abandoned);
        Assert.Equal(BranchState.Failed, window.States[1]);
    });

    [Fact]
    public Task RunAsync_LeftoverOfEarlierAttempt_HoldsItsPlaceUntilItEnds() => Task.Run(async () =>
    {
        var leftover = new TaskCompletionSource();
        var block = new BlockState();
        block.Leftovers.Add(leftover.Task);
        var sources = Sources(2);
        var started = new List<int>();
        var window = new SlidingWindow(_ => { }, 2, 2, CancellationToken.None, block);

        var run = window.RunAsync(
            (i, _) =>
            {
                started.Add(i);
                return sources[i].Task;
            },
            (_, failure) => failure);
        Assert.Equal([0], started);

        leftover.SetResult();
        Assert.Equal([0, 1], started);

        sources[0].SetResult(FlowValue.From(0));
        sources[1].SetResult(FlowValue.From(1));
        Assert.Equal([0, 1], (await run).Select(r => r.As<int>()));
    });

    [Fact]
    public Task RunAsync_ThousandTasksAllInFlight_EachResultInItsPlace() => Task.Run(async () =>
    {
        const int count = 1000;
        var sources = Sources(count);
        var window = new SlidingWindow(_ => { }, count, count, CancellationToken.None);

        var run = window.RunAsync((i, _) => sources[i].Task, (_, failure) => failure);
        for (var i = count - 1; i >= 0; i--)
        {
            sources[i].SetResult(FlowValue.From(i));
        }

        var results = await run;

        Assert.Equal(Enumerable.Range(0, count), results.Select(r => r.As<int>()));
    });

    [Fact]
    public Task RunAsync_AbandonedTaskEndsAfterTheFailure_WindowKeepsTheFailure() => Task.Run(async () =>
    {
        var sources = Sources(2);
        var window = new SlidingWindow(_ => { }, 2, 2, CancellationToken.None);

        var run = window.RunAsync((i, _) => sources[i].Task, (index, failure) => new InvalidOperationException($"branch {index}"));
        sources[0].SetException(new NodeFailure(new StepError { Message = "boom" }));
        sources[1].SetResult(FlowValue.From(1));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.Equal("branch 0", error.Message);
        Assert.Equal(BranchState.Running, window.States[1]);
    });

    [Fact]
    public Task RunAsync_StartThrows_WindowFailsWithThatException() => Task.Run(async () =>
    {
        var sources = Sources(3);
        var window = new SlidingWindow(_ => { }, 3, 1, CancellationToken.None);

        var run = window.RunAsync((i, _) => i == 1 ? throw new InvalidOperationException("no start") : sources[i].Task, (_, failure) => failure);
        sources[0].SetResult(FlowValue.From(0));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.Equal("no start", error.Message);
    });

    [Fact]
    public Task RunAsync_TaskCancelled_WindowIsCancelled() => Task.Run(async () =>
    {
        var sources = Sources(2);
        var window = new SlidingWindow(_ => { }, 2, 2, CancellationToken.None);

        var run = window.RunAsync((i, _) => sources[i].Task, (_, failure) => failure);
        sources[1].SetCanceled();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(run.IsCanceled);
    });

    [Fact]
    public Task RunAsync_NoTasks_CompletesAtOnceWithNoResults() => Task.Run(async () =>
    {
        var window = new SlidingWindow(_ => { }, 0, 4, CancellationToken.None);

        var results = await window.RunAsync((_, _) => throw new InvalidOperationException("nothing to start"), (_, failure) => failure);

        Assert.Empty(results);
    });

    private static TaskCompletionSource<FlowValue>[] Sources(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new TaskCompletionSource<FlowValue>())];
}
