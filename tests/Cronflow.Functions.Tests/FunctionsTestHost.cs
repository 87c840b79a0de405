using System.Text.Json;
using Cronflow.Functions.Engine;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Cronflow.Functions.Tests;

public sealed record Signup(string Email, string Plan);

/// <summary>
/// The app's services as Program.cs composes them (with test workflows), and a mocked Durable client whose task hub
/// is a dictionary of instances.
/// </summary>
public sealed class FunctionsTestHost : IAsyncDisposable
{
    public const string Secret = "hook-secret";

    private readonly ServiceProvider _services;

    public FunctionsTestHost(TimeProvider? time = null, Action<CronflowBuilder>? workflows = null, Action<IServiceCollection>? configureServices = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        configureServices?.Invoke(services);

        services.AddCronflow(workflows ?? DefaultWorkflows);
        services.AddCronflowFunctionsRuntime();
        _services = services.BuildServiceProvider();
        Runtime = _services.GetRequiredService<CronflowFunctionsRuntime>();
        Client = new Mock<DurableTaskClient>(MockBehavior.Strict, "test");
        Client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => Instances.GetValueOrDefault(id));
        Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName name, object? input, StartOrchestrationOptions? options, CancellationToken _) =>
            {
                var id = options!.InstanceId!;
                Started.Add((name.Name, id, JsonSerializer.SerializeToElement(input, input!.GetType(), CronflowJson.Options)));
                Instances[id] = Instance(id, OrchestrationRuntimeStatus.Pending, JsonSerializer.Serialize(input, input.GetType(), CronflowJson.Options));
                return id;
            });
    }

    public CronflowFunctionsRuntime Runtime { get; }

    public IServiceProvider Services => _services;

    public Mock<DurableTaskClient> Client { get; }

    /// <summary>Instances the mocked task hub knows, by id.</summary>
    public Dictionary<string, OrchestrationMetadata> Instances { get; } = new(StringComparer.Ordinal);

    /// <summary>Every orchestration scheduled: name, instance id, input.</summary>
    public List<(string Name, string InstanceId, JsonElement Input)> Started { get; } = [];

    public static void DefaultWorkflows(CronflowBuilder c)
    {
        c.AddWorkflow(Workflow.Define("echo").Step("echo", ctx => ctx.Payload));
        c.AddWorkflow(Workflow.Define("signup")
            .OnWebhook("/webhooks/signup", w =>
            {
                w.Schema<Signup>();
                w.Secret = Secret;
                w.RequireHeader("x-tenant");
            })
            .Step("welcome", ctx => ctx.Payload["email"].As<string>()));
        c.AddWorkflow(Workflow.Define("github").OnWebhook("/github/push", w => w.MaxBodyBytes = 100).Step("push", ctx => ctx.Payload));
        c.AddWorkflow(Workflow.Define("on-paid").OnEvent("invoice.paid").Step("book", ctx => ctx.Payload));
        c.AddWorkflow(Workflow.Define("hourly").OnSchedule("0 * * * *").Step("report", ctx => ctx.Payload));
        c.Configure(o => o.MaxPayloadBytes = 2048);
    }

    /// <summary>An instance as the Durable client reports it.</summary>
    public static OrchestrationMetadata Instance(string id, OrchestrationRuntimeStatus status, string? input, string? output = null, string? customStatus = null) =>
        new(CronflowOrchestratorFunction.Name, id)
        {
            RuntimeStatus = status,
            CreatedAt = new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero),
            LastUpdatedAt = new DateTimeOffset(2026, 1, 5, 10, 0, 1, TimeSpan.Zero),
            SerializedInput = input,
            SerializedOutput = output,
            SerializedCustomStatus = customStatus,
        };

    /// <summary>The serialized input of a run of <paramref name="workflowId"/> with <paramref name="payload"/>.</summary>
    public string InputJson(string workflowId, object? payload) =>
        JsonSerializer.Serialize(RunRequests.Create(Runtime.Registry, Runtime.Options, workflowId, payload, null), CronflowJson.Options);

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
