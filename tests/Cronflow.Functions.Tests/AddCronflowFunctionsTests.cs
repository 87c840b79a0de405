using Cronflow.Functions.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Cronflow.Functions.Tests;

/// <summary>The library's entry point, as a Functions app of its own calls it in Program.cs.</summary>
public sealed class AddCronflowFunctionsTests
{
    private static IWorkflowBuilder Greet => Workflow.Define("greet").Step("hello", ctx => ctx.Payload);

    [Fact]
    public async Task AddCronflowFunctions_OneWorkflow_RegistersItAndBuildsEveryFunctionClass()
    {
        var services = new ServiceCollection().AddLogging().AddCronflowFunctions(c => c.AddWorkflow(Greet));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var runtime = provider.GetRequiredService<CronflowFunctionsRuntime>();

        Assert.Equal(["greet"], runtime.Registry.All.Select(w => w.Id));
        foreach (var type in new[] { typeof(CronflowOrchestratorFunction), typeof(CronflowStepFunction), typeof(CronflowHttpFunctions), typeof(CronflowWebhookFunction), typeof(CronflowScheduleTickFunction) })
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(provider, type));
        }
    }

    [Fact]
    public async Task AddCronflowFunctions_Defaults_InlineLimitAppliesUnlessConfigured()
    {
        await using var defaults = new ServiceCollection().AddLogging().AddCronflowFunctions(c => c.AddWorkflow(Greet)).BuildServiceProvider();
        await using var configured = new ServiceCollection().AddLogging()
            .AddCronflowFunctions(c => c.AddWorkflow(Greet).Configure(o => o.InlineOutputBytes = 1024)).BuildServiceProvider();

        Assert.Equal(CronflowOptions.DefaultInlineOutputBytes, defaults.GetRequiredService<CronflowOptions>().InlineOutputBytes);
        Assert.Equal(1024, configured.GetRequiredService<CronflowOptions>().InlineOutputBytes);
    }

    [Fact]
    public async Task AddCronflowFunctions_StorageAccountConfigured_StoresLargeOutputsInItsBlobs()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("AzureWebJobsStorage", "UseDevelopmentStorage=true")])
            .Build();
        await using var withAccount = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration)
            .AddCronflowFunctions(c => c.AddWorkflow(Greet)).BuildServiceProvider();
        await using var without = new ServiceCollection().AddLogging().AddCronflowFunctions(c => c.AddWorkflow(Greet)).BuildServiceProvider();

        Assert.Equal("BlobStepOutputStore", withAccount.GetService<IStepOutputStore>()?.GetType().Name);
        Assert.Null(without.GetService<IStepOutputStore>());
    }

    [Theory]
    [InlineData("AzureWebJobsStorage:accountName", "cronflowapp")]
    [InlineData("AzureWebJobsStorage:blobServiceUri", "https://cronflowapp.blob.core.windows.net")]
    public async Task AddCronflowFunctions_IdentityBasedStorage_StoresLargeOutputsInItsBlobs(string setting, string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>(setting, value), new KeyValuePair<string, string?>("AzureWebJobsStorage:credential", "managedidentity")])
            .Build();
        await using var provider = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration)
            .AddCronflowFunctions(c => c.AddWorkflow(Greet)).BuildServiceProvider();

        Assert.Equal("BlobStepOutputStore", provider.GetService<IStepOutputStore>()?.GetType().Name);
    }

    [Fact]
    public void AddCronflowFunctions_DuplicateWorkflowIds_ThrowsAtRegistration()
    {
        var ex = Assert.Throws<WorkflowDefinitionException>(() => new ServiceCollection().AddCronflowFunctions(c => c.AddWorkflow(Greet).AddWorkflow(Greet)));

        Assert.Equal(ErrorCodes.DuplicateWorkflowId, Assert.Single(ex.Errors).Code);
    }

    [Fact]
    public async Task AddCronflowFunctions_OpenTelemetryOff_RegistersNoTracerProvider()
    {
        await using var off = new ServiceCollection().AddLogging().AddCronflowFunctions(c => c.AddWorkflow(Greet), o => o.UseOpenTelemetry = false).BuildServiceProvider();
        await using var on = new ServiceCollection().AddLogging().AddCronflowFunctions(c => c.AddWorkflow(Greet)).BuildServiceProvider();

        Assert.Null(off.GetService<TracerProvider>());
        Assert.NotNull(on.GetService<TracerProvider>());
    }
}
