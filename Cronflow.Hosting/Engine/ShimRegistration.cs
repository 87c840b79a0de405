using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;
using CoreTaskActivity = DurableTask.Core.TaskActivity;

namespace Cronflow.Hosting;

/// <summary>Adapts the Cronflow orchestrator and activity (written against Microsoft.DurableTask) to a DurableTask.Core worker.</summary>
internal static class ShimRegistration
{
    public static void Register(TaskHubWorker worker, ITaskOrchestrator orchestrator, StepActivity activity, ILoggerFactory loggerFactory)
    {
        var factory = new DurableTaskShimFactory(
            new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(CronflowJson.Options) },
            loggerFactory);
        worker.AddTaskOrchestrations(new OrchestrationCreator(factory, orchestrator));
        worker.AddTaskActivities(new ActivityCreator(factory, activity));
    }

    private sealed class OrchestrationCreator : ObjectCreator<TaskOrchestration>
    {
        private readonly DurableTaskShimFactory _factory;
        private readonly ITaskOrchestrator _orchestrator;

        public OrchestrationCreator(DurableTaskShimFactory factory, ITaskOrchestrator orchestrator)
        {
            _factory = factory;
            _orchestrator = orchestrator;
            Name = WorkflowOrchestrator.Name;
            Version = string.Empty;
        }

        public override TaskOrchestration Create() => _factory.CreateOrchestration(new TaskName(WorkflowOrchestrator.Name), _orchestrator);
    }

    private sealed class ActivityCreator : ObjectCreator<CoreTaskActivity>
    {
        private readonly DurableTaskShimFactory _factory;
        private readonly ITaskActivity _activity;

        public ActivityCreator(DurableTaskShimFactory factory, ITaskActivity activity)
        {
            _factory = factory;
            _activity = activity;
            Name = StepActivity.Name;
            Version = string.Empty;
        }

        public override CoreTaskActivity Create() => _factory.CreateActivity(new TaskName(StepActivity.Name), _activity);
    }
}
