using Azure.Core.Serialization;
using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Cronflow.Functions.App;

namespace Cronflow.Functions.Tests;

public sealed class AppServicesTests
{
    private const string Secret = "orders-secret-0123456789";

    private static IConfiguration Settings(string? ordersSecret) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [AppWorkflows.OrdersWebhookSecretSetting] = ordersSecret })
        .Build();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("too-short")]
    public void AddCronflowApp_OrdersWebhookSecretMissingOrShort_RefusesToStartNamingTheSetting(string? secret)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddLogging().AddCronflowApp(Settings(secret)));

        Assert.Contains("CronflowOrdersWebhookSecret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCronflowApp_EveryWebhookThatStartsWork_IsSignedOrKeyed()
    {
        await using var provider = new ServiceCollection().AddLogging().AddCronflowApp(Settings(Secret)).BuildServiceProvider();

        var webhooks = provider.GetRequiredService<CronflowFunctionsRuntime>().Registry.All.SelectMany(w => w.Webhooks).ToList();

        Assert.NotEmpty(webhooks);
        Assert.All(webhooks, w => Assert.True(w.Options.EffectiveSignature is not null || w.Options.RequiredHeaders.Values.Any(v => v is not null), $"{w.Path} is open"));
    }

    [Fact]
    public async Task OrdersWebhook_UnsignedDeliveryThroughTheFunction_Returns401AndStartsNothing()
    {
        await using var host = new FunctionsTestHost(workflows: c => c.AddWorkflow(AppWorkflows.OrderWebhook(Secret)));
        const string body = """{ "orderId": "A-1", "amount": 120 }""";

        var response = Assert.IsType<FakeHttpResponseData>(await new CronflowWebhookFunction(host.Runtime).RunAsync(
            new FakeHttpRequestData(TestContexts.Function(), "POST", "https://app.example/api/webhooks/orders", body, new Dictionary<string, string>()),
            host.Client.Object));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("bad_signature", response.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(host.Started);
    }

    [Fact]
    public async Task AddCronflowApp_AppComposition_RegistersSamplesAndAppWorkflowsAndBuildsEveryFunction()
    {
        var services = new ServiceCollection().AddLogging().AddCronflowApp(Settings(Secret));
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
        await using var provider = new ServiceCollection().AddLogging().AddCronflowApp(Settings(Secret)).BuildServiceProvider();

        var serializer = Assert.IsType<JsonObjectSerializer>(provider.GetRequiredService<IOptions<WorkerOptions>>().Value.Serializer);
        var json = serializer.Serialize(new { RunStatus = RunStatus.Completed }).ToString();

        Assert.Equal("""{"runStatus":"Completed"}""", json);
    }
}
