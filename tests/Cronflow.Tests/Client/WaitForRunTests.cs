namespace Cronflow.Tests.Client;

/// <summary><see cref="DurableCronflowClient.WaitForRunAsync"/> over changes this process sees (<see cref="InstanceUpdates"/>).</summary>
public sealed class WaitForRunTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WaitForRunAsync_ChangeCarriesCommittedState_ReturnsRunWithoutReadingAgain()
    {
        var updates = new InstanceUpdates(seesEveryChange: true);
        var client = new ScriptedClient(updates, Snapshot(InstanceState.Running, output: null));

        var wait = client.WaitForRunAsync("run-1", Wait);
        await client.FirstRead.WaitAsync(Wait);
        updates.Changed("run-1", Snapshot(InstanceState.Completed, Completed), static state => state);
        var run = await wait.WaitAsync(Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(3, run.Output["n"].As<int>());
        Assert.Equal(["s0", "s1"], run.Steps.Select(s => s.Name));
        Assert.Equal(1, client.Reads);
    }

    [Fact]
    public async Task WaitForRunAsync_ChangeWithoutState_ReadsTheRunAgain()
    {
        var updates = new InstanceUpdates(seesEveryChange: true);
        var client = new ScriptedClient(updates, Snapshot(InstanceState.Running, output: null));

        var wait = client.WaitForRunAsync("run-1", Wait);
        await client.FirstRead.WaitAsync(Wait);
        client.Current = Snapshot(InstanceState.Completed, Completed);
        updates.Changed("run-1");
        var run = await wait.WaitAsync(Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(2, client.Reads);
    }

    [Fact]
    public async Task WaitForRunAsync_CarriedStateNotFinished_WatchesAndReadsAgain()
    {
        var updates = new InstanceUpdates(seesEveryChange: true);
        var client = new ScriptedClient(updates, Snapshot(InstanceState.Running, output: null));

        var wait = client.WaitForRunAsync("run-1", Wait);
        await client.FirstRead.WaitAsync(Wait);

        // A change that may have finished the run but did not: the wait goes on, reading the run before it waits again.
        client.Current = Snapshot(InstanceState.Completed, Completed);
        updates.Changed("run-1", Snapshot(InstanceState.Running, output: null), static state => state);
        var run = await wait.WaitAsync(Wait);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(2, client.Reads);
    }

    private const string Completed =
        """{"status":"Completed","output":{"n":3},"steps":[{"name":"s0","status":"Completed","attempts":1},{"name":"s1","status":"Completed","attempts":1}]}""";

    private static InstanceSnapshot Snapshot(InstanceState state, string? output) =>
        new("run-1", state, """{"wf":"wf"}""", output, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null);

    /// <summary>A client whose backend holds one instance, <see cref="Current"/>, and counts its reads.</summary>
    private sealed class ScriptedClient(InstanceUpdates updates, InstanceSnapshot current)
        : DurableCronflowClient(new WorkflowRegistry([]), new CronflowOptions(), new RunCancellations(), TimeProvider.System, TimeSpan.FromSeconds(1), updates)
    {
        private readonly TaskCompletionSource _firstRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public InstanceSnapshot Current { get; set; } = current;

        public int Reads => Volatile.Read(ref _reads);

        public Task FirstRead => _firstRead.Task;

        protected override Task<InstanceSnapshot?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            _firstRead.TrySetResult();
            return Task.FromResult<InstanceSnapshot?>(Current);
        }

        protected override Task<bool> TryStartAsync(string instanceId, RunInput input, bool onlyIfAbsent, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override Task SendEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override Task<(IReadOnlyList<InstanceSnapshot> Instances, string? ContinuationToken)> QueryByPrefixAsync(string prefix, bool activeOnly, string? continuationToken, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
