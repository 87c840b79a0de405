using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Cronflow.Functions.App;

namespace Cronflow.Functions.Tests;

public sealed class TelemetryWiringTests
{
    private static IConfiguration Settings(string? applicationInsights) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?>
        {
            [AppWorkflows.OrdersWebhookSecretSetting] = "orders-secret-0123456789",
            [CronflowFunctionsOptions.ApplicationInsightsSetting] = applicationInsights,
        })
        .Build();

    [Theory]
    [InlineData(null)]
    [InlineData("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/")]
    public async Task AddCronflowApp_WithOrWithoutApplicationInsights_WorkerRecordsCronflowSpansAndInstruments(string? connection)
    {
        await using var provider = new ServiceCollection().AddLogging().AddCronflowApp(Settings(connection)).BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<TracerProvider>());
        Assert.NotNull(provider.GetRequiredService<MeterProvider>());
        using var source = new ActivitySource(CronflowTelemetry.Name);
        using var span = source.StartActivity("run probe");
        Assert.NotNull(span);
        Assert.True(span.IsAllDataRequested);
    }

    [Fact]
    public void AddCronflowApp_ApplicationInsightsConnectionString_RegistersTheAzureMonitorExporter()
    {
        var with = new ServiceCollection().AddLogging().AddCronflowApp(Settings("InstrumentationKey=00000000-0000-0000-0000-000000000000"));
        var without = new ServiceCollection().AddLogging().AddCronflowApp(Settings(null));

        static int AzureMonitor(IServiceCollection services) =>
            services.Count(d => (d.ImplementationType ?? d.ServiceType).Assembly.GetName().Name == "Azure.Monitor.OpenTelemetry.Exporter"
                || d.ImplementationInstance?.GetType().Assembly.GetName().Name == "Azure.Monitor.OpenTelemetry.Exporter"
                || d.ImplementationFactory?.Method.DeclaringType?.Assembly.GetName().Name == "Azure.Monitor.OpenTelemetry.Exporter");

        Assert.Equal(0, AzureMonitor(without));
        Assert.True(AzureMonitor(with) > 0);
    }
}
