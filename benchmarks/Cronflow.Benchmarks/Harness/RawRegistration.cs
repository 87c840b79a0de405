using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;
using CoreTaskActivity = DurableTask.Core.TaskActivity;

namespace Cronflow.Benchmarks.Harness;

/// <summary>
/// Registers the hand-written orchestrators and activities on a DurableTask.Core worker exactly as
/// <c>ShimRegistration</c> registers Cronflow's: one shim factory with the same data converter, one object creator
/// per name that asks the factory for a fresh shim around a shared implementation.
/// </summary>
internal static class RawRegistration
{
    public static void Register(TaskHubWorker worker, ILoggerFactory loggerFactory)
    {
        var factory = new DurableTaskShimFactory(
            new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(CronflowJson.Options) },
            loggerFactory);

        worker.AddTaskOrchestrations(
            new OrchestrationCreator(factory, RawNames.Sequence, new RawSequence()),
            new OrchestrationCreator(factory, RawNames.FanOut, new RawFanOut()),
            new OrchestrationCreator(factory, RawNames.Race, new RawRace()),
            new OrchestrationCreator(factory, RawNames.Timeout, new RawTimeout()),
            new OrchestrationCreator(factory, RawNames.Chain, new RawChain()),
            new OrchestrationCreator(factory, RawNames.Sleep, new RawSleep()));

        worker.AddTaskActivities(
            new ActivityCreator(factory, RawNames.Add, new AddActivity()),
            new ActivityCreator(factory, RawNames.Delay, new DelayActivity()),
            new ActivityCreator(factory, RawNames.Stamped, new StampedActivity()),
            new ActivityCreator(factory, RawNames.Blob, new BlobActivity()));
    }

    private sealed class OrchestrationCreator : ObjectCreator<TaskOrchestration>
    {
        private readonly DurableTaskShimFactory _factory;
        private readonly ITaskOrchestrator _orchestrator;

        public OrchestrationCreator(DurableTaskShimFactory factory, string name, ITaskOrchestrator orchestrator)
        {
            _factory = factory;
            _orchestrator = orchestrator;
            Name = name;
            Version = string.Empty;
        }

        public override TaskOrchestration Create() => _factory.CreateOrchestration(new TaskName(Name), _orchestrator);
    }

    private sealed class ActivityCreator : ObjectCreator<CoreTaskActivity>
    {
        private readonly DurableTaskShimFactory _factory;
        private readonly ITaskActivity _activity;

        public ActivityCreator(DurableTaskShimFactory factory, string name, ITaskActivity activity)
        {
            _factory = factory;
            _activity = activity;
            Name = name;
            Version = string.Empty;
        }

        public override CoreTaskActivity Create() => _factory.CreateActivity(new TaskName(Name), _activity);
    }
}
