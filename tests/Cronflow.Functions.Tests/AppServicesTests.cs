using Azure.Core.Serialization;
using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cronflow.Functions.Tests;

public sealed class AppServicesTests
{
    [Fact]
    public async Task AddCronflowApp_AppComposition_RegistersSamplesAndAppWorkflowsAndBuildsEveryFunction()
    {
        var services = new ServiceCollection().AddLogging().AddCronflowApp();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var runtime = provider.GetRequiredService<CronflowFunctionsRuntime>();

        var ids = runtime.Registry.All.Select(w => w.Id).ToList();
        Assert.Contains("sample-data-fetching", ids);
        Assert.Contains("order-webhook", ids);
        Assert.Contains("heartbeat", ids);
        foreach (var type in new[] { typeof(CronflowOrchestratorFunction), typeof(CronflowStepFunction), typeof(CronflowHttpFunctions), typeof(CronflowWebhookFunction), typeof(CronflowScheduleTickFunction) })
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(provider, type));
        }
    }

    [Fact]
    public async Task AddCronflowApp_WorkerSerializer_UsesCronflowJson()
    {
        await using var provider = new ServiceCollection().AddLogging().AddCronflowApp().BuildServiceProvider();

        var serializer = Assert.IsType<JsonObjectSerializer>(provider.GetRequiredService<IOptions<WorkerOptions>>().Value.Serializer);
        var json = serializer.Serialize(new { RunStatus = RunStatus.Completed }).ToString();

        Assert.Equal("""{"runStatus":"Completed"}""", json);
    }
}
