using Cronflow.Hosting;
using DurableTask.Core;

namespace Cronflow.Tests.Hosting;

public sealed class HostLifetimeTests
{
    private static IWorkflowBuilder Echo() => Workflow.Define("echo").Step("echo", ctx => ctx.Payload);

    [Fact]
    public async Task DisposeAsync_EngineNeverStops_ReturnsAfterStopTimeout()
    {
        NeverStoppingService? service = null;
        var host = await CronflowHost.StartAsync(
            c => c.AddWorkflow(Echo()),
            o =>
            {
                o.StopTimeout = TimeSpan.FromMilliseconds(200);
                o.WrapWorkerService = inner => service = new NeverStoppingService(inner);
            });
        var runId = await host.Client.TriggerAsync("echo", new { n = 1 });
        await host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));

        // Without the stop timeout this would wait for the backend forever.
        await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(service!.StopRequested);
    }

    [Fact]
    public async Task StartAsync_StopTimeoutNotPositive_Throws()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            CronflowHost.StartAsync(c => c.AddWorkflow(Echo()), o => o.StopTimeout = TimeSpan.Zero));

        Assert.Equal(nameof(CronflowHostOptions.StopTimeout), error.ParamName);
    }
}
