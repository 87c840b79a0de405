using Cronflow.Azurite.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Cronflow.Azurite.Tests;

/// <summary>The health check of <c>AddCronflow()</c> against real storage that goes away and comes back (an Azurite of its own).</summary>
public sealed class HealthCheckOutageTests
{
    [OutageFact]
    public async Task AddCronflow_StorageStopsAndComesBack_UnhealthyMeanwhileThenHealthy()
    {
        await using var azurite = await PrivateAzurite.StartAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddCronflowHost(
            c => c.AddWorkflow(Workflow.Define("echo").Step("echo", ctx => ctx.Payload)),
            o => o.UseAzureStorage(azurite.ConnectionString, Storage.NewTaskHub()));
        builder.Services.AddHealthChecks().AddCronflow();
        using var host = builder.Build();
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var up = await health.CheckHealthAsync();
        await azurite.StopAsync();
        var down = await Poll.UntilAsync("the check to see storage down", () => health.CheckHealthAsync(), r => r.Status == HealthStatus.Unhealthy, TimeSpan.FromSeconds(60));
        await azurite.StartAgainAsync();
        var back = await Poll.UntilAsync("the check to see storage back", () => health.CheckHealthAsync(), r => r.Status == HealthStatus.Healthy, TimeSpan.FromSeconds(60));
        await host.StopAsync();

        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal("Azure Storage", up.Entries["cronflow"].Data["backend"]);
        Assert.StartsWith("The backend", down.Entries["cronflow"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, back.Status);
    }
}
