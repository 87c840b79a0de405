using System.Text.Json;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging.Abstractions;
using CoreTaskActivity = DurableTask.Core.TaskActivity;

namespace Cronflow.Functions.Tests;

/// <summary>
/// Runs the Functions app's orchestrator and activity methods (not the core classes) on a real in-memory Durable Task
/// engine, as the Functions host would call them: the orchestrator reads its input from the context, the activity
/// gets its request as JSON.
/// </summary>
internal sealed class EmbeddedFunctionsEngine : IAsyncDisposable
{
    private readonly TaskHubWorker _worker;
    private readonly TaskHubClient _client;

    private EmbeddedFunctionsEngine(TaskHubWorker worker, TaskHubClient client)
    {
        _worker = worker;
        _client = client;
    }

    /// <param name="host">The app's services.</param>
    /// <param name="wrap">Wraps the orchestration service the worker runs on (to observe its commits).</param>
    public static async Task<EmbeddedFunctionsEngine> StartAsync(FunctionsTestHost host, Func<IOrchestrationService, IOrchestrationService>? wrap = null)
    {
        var loggerFactory = NullLoggerFactory.Instance;
        var service = new InMemoryOrchestrationService(loggerFactory);
        var worker = new TaskHubWorker(wrap?.Invoke(service) ?? service, loggerFactory);
        var factory = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(CronflowJson.Options) }, loggerFactory);
        var orchestrator = new FunctionOrchestrator(new CronflowOrchestratorFunction(host.Runtime));
        var activity = new FunctionActivity(new CronflowStepFunction(host.Runtime));
        worker.AddTaskOrchestrations(new Creator<TaskOrchestration>(CronflowOrchestratorFunction.Name, () => factory.CreateOrchestration(new TaskName(CronflowOrchestratorFunction.Name), orchestrator)));
        worker.AddTaskActivities(new Creator<CoreTaskActivity>(CronflowStepFunction.Name, () => factory.CreateActivity(new TaskName(CronflowStepFunction.Name), activity)));
        await worker.StartAsync();
        return new EmbeddedFunctionsEngine(worker, new TaskHubClient(service, new StjConverter()));
    }

    /// <summary>Starts a run the way the Functions client does, and polls until it has finished.</summary>
    public Task<RunInfo> RunAsync(FunctionsTestHost host, string workflowId, object? payload) =>
        RunAsync("fn-" + Guid.NewGuid().ToString("N"), RunRequests.Create(host.Runtime.Registry, host.Runtime.Options, workflowId, payload, null));

    /// <summary>Starts a run with an input a client prepared (and recorded in <see cref="FunctionsTestHost.Started"/>), and polls until it has finished.</summary>
    public async Task<RunInfo> RunAsync(string instanceId, RunInput input)
    {
        var instance = await _client.CreateOrchestrationInstanceAsync(CronflowOrchestratorFunction.Name, "", instanceId, input);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var state = await _client.GetOrchestrationStateAsync(instance.InstanceId);
            if (state is not null)
            {
                var run = RunInfoMapper.ToRunInfo(Hosting.EmbeddedCronflowClient.ToSnapshot(state));
                if (run.IsFinished)
                {
                    return run;
                }
            }

            await Task.Delay(5, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync() => await _worker.StopAsync(isForced: true);

    private sealed class FunctionOrchestrator(CronflowOrchestratorFunction function) : TaskOrchestrator<JsonElement?, JsonElement>
    {
        public override Task<JsonElement> RunAsync(TaskOrchestrationContext context, JsonElement? input) => function.RunAsync(context);
    }

    private sealed class FunctionActivity(CronflowStepFunction function) : Microsoft.DurableTask.TaskActivity<JsonElement, object?>
    {
        public override async Task<object?> RunAsync(TaskActivityContext context, JsonElement input) => await function.RunAsync(input, null, TestContexts.Function());
    }

    private sealed class Creator<T> : ObjectCreator<T>
    {
        private readonly Func<T> _create;

        public Creator(string name, Func<T> create)
        {
            Name = name;
            Version = "";
            _create = create;
        }

        public override T Create() => _create();
    }

    private sealed class StjConverter : DurableTask.Core.Serializing.DataConverter
    {
        public override string? Serialize(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), CronflowJson.Options);

        public override string? Serialize(object? value, bool formatted) => Serialize(value);

        public override object? Deserialize(string? data, Type objectType) => data is null ? null : JsonSerializer.Deserialize(data, objectType, CronflowJson.Options);
    }
}
