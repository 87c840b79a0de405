using System.Reflection;
using System.Text.Json;
using Cronflow.Functions.App;

namespace Cronflow.Functions.Tests;

/// <summary>Checks what the Functions host will index: the functions.metadata the build writes, host.json and the example settings.</summary>
public sealed class FunctionsMetadataTests
{
    private static readonly string RepositoryRoot = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cronflow.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (Cronflow.sln) was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The Functions app that infra/ deploys: the library with the sample workflows.</summary>
    private const string SampleApp = "Cronflow.Functions.App";

    /// <summary>The smallest app on the library: its own Program.cs and nothing else.</summary>
    private const string MinimalApp = "Cronflow.Functions.Minimal";

    /// <summary>Every function the Cronflow.Functions library contributes to an app that references it.</summary>
    private static readonly string[] CronflowFunctions =
    [
        "CronflowCancelRun", "CronflowDashboard", "CronflowGetRun", "CronflowHealth", "CronflowListRuns", "CronflowOrchestrator", "CronflowPublishEvent", "CronflowPurgeRun",
        "CronflowRaiseEvent", "CronflowReplayRun", "CronflowResume", "CronflowScheduleTick", "CronflowStep", "CronflowTriggerRun", "CronflowWebhook",
    ];

    /// <summary>The build output of <paramref name="app"/> (under samples/) in the same configuration as this test assembly.</summary>
    private static string AppOutput(string app)
    {
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        return Path.Combine(RepositoryRoot, "samples", app, "bin", configuration, "net10.0");
    }

    /// <summary>functions.metadata in the build output of <paramref name="app"/>.</summary>
    private static JsonElement LoadMetadata(string app = SampleApp)
    {
        var path = Path.Combine(AppOutput(app), "functions.metadata");
        Assert.True(File.Exists(path), $"Build samples/{app} first: {path} is missing.");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    private static JsonElement Function(string name) =>
        Assert.Single(LoadMetadata().EnumerateArray(), f => f.GetProperty("name").GetString() == name);

    private static JsonElement Trigger(string name) =>
        Assert.Single(Function(name).GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Fact]
    public void Metadata_Functions_AreExactlyTheFixedSet()
    {
        var names = LoadMetadata().EnumerateArray().Select(f => f.GetProperty("name").GetString()).Order(StringComparer.Ordinal);

        Assert.Equal(CronflowFunctions, names);
    }

    [Fact]
    public void Metadata_MinimalApp_ListsEveryCronflowFunctionFromTheLibraryAssembly()
    {
        var functions = LoadMetadata(MinimalApp).EnumerateArray().ToList();

        Assert.Equal(CronflowFunctions, functions.Select(f => f.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.All(functions, f => Assert.Equal("Cronflow.Functions.dll", f.GetProperty("scriptFile").GetString()));
        Assert.True(File.Exists(Path.Combine(AppOutput(MinimalApp), "Cronflow.Functions.dll")));
    }

    [Fact]
    public void Metadata_MinimalAndSampleApp_IndexTheSameFunctionsWithTheSameBindings()
    {
        static Dictionary<string, string> Bindings(JsonElement metadata) => metadata.EnumerateArray().ToDictionary(
            f => f.GetProperty("name").GetString()!,
            f => f.GetProperty("entryPoint").GetString() + " " + f.GetProperty("bindings").GetRawText(),
            StringComparer.Ordinal);

        Assert.Equal(Bindings(LoadMetadata(SampleApp)), Bindings(LoadMetadata(MinimalApp)));
    }

    [Fact]
    public async Task GeneratedMetadataProvider_MinimalApp_ListsEveryCronflowFunctionForWorkerIndexing()
    {
        // With worker indexing (the SDK's default) the host asks the worker for its functions: the app's build
        // generates this provider, and it must see the [Function] methods of the referenced library.
        var functions = await new Cronflow.Functions.Minimal.GeneratedFunctionMetadataProvider().GetFunctionMetadataAsync(AppOutput(MinimalApp));

        Assert.Equal(CronflowFunctions, functions.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.All(functions, f => Assert.Equal("Cronflow.Functions.dll", f.ScriptFile));
        Assert.Equal("Cronflow.Functions.CronflowOrchestratorFunction.RunAsync", Assert.Single(functions, f => f.Name == WorkflowOrchestrator.Name).EntryPoint);
    }

    [Fact]
    public void Metadata_Orchestrator_HasTheEngineOrchestrationName()
    {
        Assert.Equal("orchestrationTrigger", Trigger(WorkflowOrchestrator.Name).GetProperty("type").GetString());
        Assert.Equal(WorkflowOrchestrator.Name, CronflowOrchestratorFunction.Name);
        Assert.Equal("Cronflow.Functions.CronflowOrchestratorFunction.RunAsync", Function(WorkflowOrchestrator.Name).GetProperty("entryPoint").GetString());
    }

    [Fact]
    public void Metadata_Activity_HasTheEngineActivityName()
    {
        Assert.Equal("activityTrigger", Trigger(StepActivity.Name).GetProperty("type").GetString());
        Assert.Equal(StepActivity.Name, CronflowStepFunction.Name);
    }

    [Theory]
    [InlineData("CronflowTriggerRun", "post", "workflows/{workflowId}/runs", "Function")]
    [InlineData("CronflowListRuns", "get", "runs", "Function")]
    [InlineData("CronflowGetRun", "get", "runs/{runId}", "Function")]
    [InlineData("CronflowPurgeRun", "delete", "runs/{runId}", "Function")]
    [InlineData("CronflowRaiseEvent", "post", "runs/{runId}/events/{eventName}", "Function")]
    [InlineData("CronflowCancelRun", "post", "runs/{runId}/cancel", "Function")]
    [InlineData("CronflowReplayRun", "post", "runs/{runId}/replay", "Function")]
    [InlineData("CronflowResume", "post", "resume/{token}", "Function")]
    [InlineData("CronflowPublishEvent", "post", "events/{eventName}", "Function")]
    [InlineData("CronflowHealth", "get", "health", "Anonymous")]
    [InlineData("CronflowDashboard", "get,post", "dashboard/{*path}", "Anonymous")]
    [InlineData("CronflowWebhook", "get,post,put,patch,delete", CronflowWebhookFunction.Route, "Anonymous")]
    public void Metadata_HttpFunction_HasRouteMethodsAndAuthLevel(string name, string methods, string route, string authLevel)
    {
        var trigger = Trigger(name);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(methods.Split(','), trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
        var bindings = Function(name).GetProperty("bindings").EnumerateArray().Select(b => b.GetProperty("type").GetString()).ToList();
        Assert.Contains("http", bindings);
        Assert.Contains("durableClient", bindings);
    }

    [Fact]
    public void Metadata_ManagementRoutes_MatchTheSharedRouteTable()
    {
        var functionRoutes = LoadMetadata().EnumerateArray()
            .Select(f => f.GetProperty("bindings")[0])
            .Where(b => b.GetProperty("type").GetString() == "httpTrigger" && b.GetProperty("route").GetString() is not (CronflowWebhookFunction.Route or "dashboard/{*path}"))
            .Select(b => $"{b.GetProperty("methods")[0].GetString()!.ToUpperInvariant()} /{b.GetProperty("route").GetString()}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            Cronflow.Http.ApiRoutes.All.Select(r => $"{r.Method} {r.Template}").Order(StringComparer.Ordinal),
            functionRoutes);
    }

    [Fact]
    public void Metadata_TimerTrigger_TakesItsScheduleFromTheAppSetting()
    {
        var trigger = Trigger(CronflowScheduleTickFunction.Name);

        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("%CronflowScheduleTick%", trigger.GetProperty("schedule").GetString());
        Assert.Contains("durableClient", Function(CronflowScheduleTickFunction.Name).GetProperty("bindings").EnumerateArray().Select(b => b.GetProperty("type").GetString()));
    }

    [Fact]
    public void HostJson_DurableTaskAndHttp_AreConfigured()
    {
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "host.json"))).RootElement;

        Assert.Equal("2.0", host.GetProperty("version").GetString());
        var durable = host.GetProperty("extensions").GetProperty("durableTask");
        Assert.Equal("%CronflowTaskHub%", durable.GetProperty("hubName").GetString());
        Assert.Equal("AzureStorage", durable.GetProperty("storageProvider").GetProperty("type").GetString());
        Assert.Equal("AzureWebJobsStorage", durable.GetProperty("storageProvider").GetProperty("connectionName").GetString());
        Assert.True(durable.GetProperty("maxConcurrentActivityFunctions").GetInt32() > 0);
        Assert.True(durable.GetProperty("maxConcurrentOrchestratorFunctions").GetInt32() > 0);
        Assert.Equal(Engine.FunctionsHttp.RoutePrefix, host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void HostJson_IsCopiedToEveryAppOutput()
    {
        Assert.True(File.Exists(Path.Combine(AppOutput(SampleApp), "host.json")));
        Assert.True(File.Exists(Path.Combine(AppOutput(MinimalApp), "host.json")));
    }

    [Fact]
    public void LocalSettingsExample_HasStorageRuntimeAndCronflowSettings()
    {
        var values = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "local.settings.json.example"))).RootElement.GetProperty("Values");

        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty("AzureWebJobsStorage").GetString());
        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
        Assert.Equal("cronflow", values.GetProperty("CronflowTaskHub").GetString());
        Assert.Equal("0 */1 * * * *", values.GetProperty("CronflowScheduleTick").GetString());
        Assert.True(values.GetProperty("CronflowOrdersWebhookSecret").GetString()!.Length >= AppWorkflows.MinSecretLength);
        Assert.Equal("1048577", values.GetProperty("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT").GetString());
    }

    [Fact]
    public void MainBicep_ExposureSettings_BoundBodiesKeepKeysOutAndTurnBasicCredentialsOff()
    {
        var bicep = File.ReadAllText(Path.Combine(RepositoryRoot, "infra", "main.bicep"));

        Assert.Contains("name: 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT'", bicep, StringComparison.Ordinal);
        Assert.Contains("name: 'CronflowOrdersWebhookSecret'", bicep, StringComparison.Ordinal);
        Assert.Contains("allowSharedKeyAccess: false", bicep, StringComparison.Ordinal);
        Assert.Contains("name: 'AzureWebJobsStorage__accountName'", bicep, StringComparison.Ordinal);
        Assert.DoesNotContain("listKeys", bicep, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey=", bicep, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(bicep, @"basicPublishingCredentialsPolicies@[^']+' = \{\s+parent: functionApp\s+name: '(ftp|scm)'\s+properties: \{\s+allow: false"));
    }
}
