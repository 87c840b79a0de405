namespace Cronflow.Tests.Client;

public sealed class InstanceUpdatesTests
{
    [Fact]
    public void Changed_AfterWatchTaken_EndsEveryWatchOnThatInstance()
    {
        var updates = new InstanceUpdates(seesEveryChange: true);
        using var first = updates.Next("run-1");
        using var second = updates.Next("run-1");
        using var other = updates.Next("run-2");

        updates.Changed("run-1");

        Assert.True(first.Changed.IsCompletedSuccessfully);
        Assert.True(second.Changed.IsCompletedSuccessfully);
        Assert.False(other.Changed.IsCompleted);
    }

    [Fact]
    public void Next_AfterChange_WaitsForTheFollowingChange()
    {
        var updates = new InstanceUpdates(seesEveryChange: true);
        using (updates.Next("run-1"))
        {
            updates.Changed("run-1");
        }

        using var watch = updates.Next("run-1");

        Assert.False(watch.Changed.IsCompleted);
        updates.Changed("run-1");
        Assert.True(watch.Changed.IsCompletedSuccessfully);
    }

    [Fact]
    public void Next_AfterEveryWatchDisposed_StartsAFreshWatch()
    {
        var updates = new InstanceUpdates(seesEveryChange: false);
        var abandoned = updates.Next("run-1");
        abandoned.Dispose();
        abandoned.Dispose();

        using var watch = updates.Next("run-1");
        updates.Changed("run-1");

        Assert.True(watch.Changed.IsCompletedSuccessfully);
        Assert.False(abandoned.Changed.IsCompleted);
    }

    [Fact]
    public async Task Changed_WithCommittedState_EveryWatchGetsThatState()
    {
        var updates = new InstanceUpdates(seesEveryChange: true);
        using var first = updates.Next("run-1");
        using var second = updates.Next("run-1");
        var committed = new InstanceSnapshot("run-1", InstanceState.Completed, null, null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null);

        updates.Changed("run-1", committed, static state => state);

        Assert.Same(committed, await first.Changed);
        Assert.Same(committed, await second.Changed);
    }

    [Fact]
    public void Changed_NobodyWatching_DoesNotMakeTheState()
    {
        var updates = new InstanceUpdates(seesEveryChange: true);
        var made = 0;

        updates.Changed("run-1", 0, _ =>
        {
            made++;
            return null;
        });

        Assert.Equal(0, made);
    }
}
