using System.Collections;
using Cronflow.Hosting;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.DurableTask.Testing.Sidecar;

namespace Cronflow.Tests.Hosting;

/// <summary>
/// <see cref="CrossInstanceMessageRelay"/> over the real in-memory service: episodes of two instances that send to each
/// other commit side by side.
/// </summary>
public sealed class CrossInstanceMessageRelayTests
{
    /// <summary>Guards against a hang; never reached when the commits go through.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CompleteTaskOrchestrationWorkItemAsync_TwoEpisodesSendingToEachOtherAtOnce_BothCommitAndDeliver()
    {
        var memory = new InMemoryOrchestrationService();
        var relay = new CrossInstanceMessageRelay(memory, memory);
        var (a, b) = await LockBothAsync(memory, relay);

        // Both commits are sending their messages at the same moment: where the service alone holds the sender's lock
        // (each commit then waits for the other's lock, for good).
        using var bothSending = new Barrier(2);
        await Task.WhenAll(
            Task.Run(() => relay.CompleteTaskOrchestrationWorkItemAsync(a, Episode(a), [], new MeetingList(bothSending, [Ping("b", "from-a")]), [], null!, Running("a"))),
            Task.Run(() => relay.CompleteTaskOrchestrationWorkItemAsync(b, Episode(b), [], new MeetingList(bothSending, [Ping("a", "from-b")]), [], null!, Running("b")))).WaitAsync(Hang);

        Assert.Equal(new Dictionary<string, string[]> { ["a"] = ["from-b"], ["b"] = ["from-a"] }, await ReleaseAndReceiveAsync(relay, a, b));
    }

    [Fact]
    public async Task CompleteTaskOrchestrationWorkItemAsync_MessagesToItselfAndAnother_EachInstanceReceivesItsOwn()
    {
        var memory = new InMemoryOrchestrationService();
        var relay = new CrossInstanceMessageRelay(memory, memory);
        var (a, b) = await LockBothAsync(memory, relay);

        await relay.CompleteTaskOrchestrationWorkItemAsync(a, Episode(a), [], [Ping("a", "to-self"), Ping("B", "to-b")], [], null!, Running("a"));
        await relay.CompleteTaskOrchestrationWorkItemAsync(b, Episode(b), [], [], [], null!, Running("b"));

        Assert.Equal(new Dictionary<string, string[]> { ["a"] = ["to-self"], ["b"] = ["to-b"] }, await ReleaseAndReceiveAsync(relay, a, b));
    }

    /// <summary>Starts instances "a" and "b" and takes the work item of each (their first episode).</summary>
    private static async Task<(TaskOrchestrationWorkItem A, TaskOrchestrationWorkItem B)> LockBothAsync(InMemoryOrchestrationService memory, CrossInstanceMessageRelay relay)
    {
        await memory.CreateTaskOrchestrationAsync(Start("a"));
        await memory.CreateTaskOrchestrationAsync(Start("b"));
        var items = new[]
        {
            await relay.LockNextTaskOrchestrationWorkItemAsync(Hang, CancellationToken.None).WaitAsync(Hang),
            await relay.LockNextTaskOrchestrationWorkItemAsync(Hang, CancellationToken.None).WaitAsync(Hang),
        };
        return (items.Single(i => i.InstanceId == "a"), items.Single(i => i.InstanceId == "b"));
    }

    /// <summary>Releases both instances and takes their next work items: the events each received, by instance.</summary>
    private static async Task<Dictionary<string, string[]>> ReleaseAndReceiveAsync(CrossInstanceMessageRelay relay, TaskOrchestrationWorkItem a, TaskOrchestrationWorkItem b)
    {
        await relay.ReleaseTaskOrchestrationWorkItemAsync(a);
        await relay.ReleaseTaskOrchestrationWorkItemAsync(b);
        var received = new Dictionary<string, string[]>();
        for (var i = 0; i < 2; i++)
        {
            var next = await relay.LockNextTaskOrchestrationWorkItemAsync(Hang, CancellationToken.None).WaitAsync(Hang);
            received[next.InstanceId] = [.. next.NewMessages.Select(m => ((EventRaisedEvent)m.Event).Name)];
        }

        return received;
    }

    private static OrchestrationInstance Instance(string instanceId) => new() { InstanceId = instanceId, ExecutionId = instanceId + "-1" };

    private static TaskMessage Start(string instanceId) => new()
    {
        OrchestrationInstance = Instance(instanceId),
        Event = new ExecutionStartedEvent(-1, null) { OrchestrationInstance = Instance(instanceId), Name = "probe", Version = "" },
    };

    /// <summary>The history of an episode that handled the work item's messages.</summary>
    private static OrchestrationRuntimeState Episode(TaskOrchestrationWorkItem item)
    {
        var state = new OrchestrationRuntimeState(item.OrchestrationRuntimeState.Events);
        state.AddEvent(new OrchestratorStartedEvent(-1));
        foreach (var message in item.NewMessages)
        {
            state.AddEvent(message.Event);
        }

        state.AddEvent(new OrchestratorCompletedEvent(-1));
        return state;
    }

    private static OrchestrationState Running(string instanceId) => new()
    {
        OrchestrationInstance = Instance(instanceId),
        Name = "probe",
        OrchestrationStatus = OrchestrationStatus.Running,
    };

    /// <summary>An event sent to <paramref name="to"/>, named <paramref name="name"/>.</summary>
    private static TaskMessage Ping(string to, string name) => new()
    {
        OrchestrationInstance = new OrchestrationInstance { InstanceId = to },
        Event = new EventRaisedEvent(-1, "null") { Name = name },
    };

    /// <summary>A commit's messages, whose enumeration waits until the other commit enumerates its own too.</summary>
    private sealed class MeetingList(Barrier barrier, List<TaskMessage> items) : IList<TaskMessage>
    {
        public TaskMessage this[int index] { get => items[index]; set => throw new NotSupportedException(); }

        public int Count => items.Count;

        public bool IsReadOnly => true;

        public IEnumerator<TaskMessage> GetEnumerator()
        {
            if (!barrier.SignalAndWait(Hang))
            {
                throw new InvalidOperationException("The other commit never sent its messages.");
            }

            return items.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public int IndexOf(TaskMessage item) => items.IndexOf(item);

        public bool Contains(TaskMessage item) => items.Contains(item);

        public void CopyTo(TaskMessage[] array, int arrayIndex) => items.CopyTo(array, arrayIndex);

        public void Insert(int index, TaskMessage item) => throw new NotSupportedException();

        public void RemoveAt(int index) => throw new NotSupportedException();

        public void Add(TaskMessage item) => throw new NotSupportedException();

        public void Clear() => throw new NotSupportedException();

        public bool Remove(TaskMessage item) => throw new NotSupportedException();
    }
}
