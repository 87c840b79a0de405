using Cronflow.Dashboard;
using Cronflow.Http;
using Microsoft.Extensions.Configuration;
using Cronflow.Scheduling;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow.Functions.Engine;

/// <summary>
/// What the Functions need from Cronflow.Core: the registry, the interpreter, the step executor, and factories for
/// the client, the HTTP API and the schedule dispatcher over the invocation's <see cref="DurableTaskClient"/>.
/// Public only so that the function classes can take it in their constructors; its members are internal.
/// </summary>
public sealed class CronflowFunctionsRuntime
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly bool _hasGates;
    private volatile bool _gatesEnsured;

    internal CronflowFunctionsRuntime(IServiceProvider services, ScheduleOptions scheduleOptions)
    {
        Registry = services.GetRequiredService<WorkflowRegistry>();
        Options = services.GetRequiredService<CronflowOptions>();
        Executor = services.GetRequiredService<StepExecutor>();
        Orchestrator = services.GetRequiredService<WorkflowOrchestrator>();
        Cancellations = services.GetRequiredService<RunCancellations>();
        Time = services.GetRequiredService<TimeProvider>();
        Store = services.GetService<IStepOutputStore>();
        ScheduleOptions = scheduleOptions;
        _loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        _hasGates = Registry.All.Any(w => w.Concurrency is not null);
        DashboardKey = services.GetService<IConfiguration>()?[DashboardKeySetting] is { Length: > 0 } key ? key : null;
    }

    /// <summary>The app setting holding the key that signs a browser in to the dashboard (<c>/api/dashboard</c>).</summary>
    public const string DashboardKeySetting = "CronflowDashboardKey";

    /// <summary>
    /// The dashboard's sign-in key, from the <see cref="DashboardKeySetting"/> app setting. Without one the dashboard
    /// answers only requests addressed to a loopback name (<c>func start</c> on a developer's machine).
    /// </summary>
    internal string? DashboardKey { get; set; }

    internal WorkflowRegistry Registry { get; }

    internal CronflowOptions Options { get; }

    internal StepExecutor Executor { get; }

    internal WorkflowOrchestrator Orchestrator { get; }

    internal RunCancellations Cancellations { get; }

    internal TimeProvider Time { get; }

    /// <summary>Where steps store large outputs; null when every output travels inline.</summary>
    internal IStepOutputStore? Store { get; }

    internal ScheduleOptions ScheduleOptions { get; }

    internal ILogger CreateLogger(string category) => _loggerFactory.CreateLogger(category);

    internal FunctionsCronflowClient CreateClient(DurableTaskClient client) => new(client, Registry, Options, Cancellations, Time, Store);

    internal CronflowHttpApi CreateApi(DurableTaskClient client) => new(CreateClient(client), Registry, Options, Time, CreateLogger(Log.HttpCategory));

    internal CronflowDashboard CreateDashboard(DurableTaskClient client) => new(CreateClient(client), Registry, Time, DashboardKey, CreateLogger(Log.DashboardCategory));

    /// <summary>What this process remembers between ticks to save reads (the backend holds the schedule state).</summary>
    internal ScheduleMemory ScheduleMemory { get; } = new();

    internal ScheduleDispatcher CreateDispatcher(DurableTaskClient client) => new(CreateClient(client), Registry, Time, ScheduleOptions, CreateLogger(Log.SchedulesCategory), ScheduleMemory);

    /// <summary>
    /// Makes sure the concurrency gates of capped workflows run: once per process from the first invocation that has a
    /// client (so that subflows into a capped workflow find its gate), and again on every schedule tick.
    /// </summary>
    internal async Task EnsureGatesAsync(DurableTaskClient client, bool always = false)
    {
        if (!_hasGates || (_gatesEnsured && !always))
        {
            return;
        }

        await CreateClient(client).EnsureGatesAsync().ConfigureAwait(false);
        _gatesEnsured = true;
    }
}
