using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Cronflow.Tests.Hosting;

public sealed class HealthCheckTests
{
    private static IWorkflowBuilder Echo() => Workflow.Define("echo").Step("echo", ctx => ctx.Payload);

    private static IWorkflowBuilder Nightly() => Workflow.Define("nightly").OnSchedule("0 2 * * *").Step("run", ctx => ctx.Payload);

    [Fact]
    public async Task AddCronflow_EngineNotStarted_Unhealthy()
    {
        using var host = Build(c => c.AddWorkflow(Echo()));

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("The Cronflow engine has not started.", report.Entries["cronflow"].Description);
    }

    [Fact]
    public async Task AddCronflow_EngineStartedBackendAnswers_Healthy()
    {
        using var host = Build(c => c.AddWorkflow(Echo()));
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal("in memory", report.Entries["cronflow"].Data["backend"]);
    }

    [Fact]
    public async Task AddCronflow_HostStopped_Unhealthy()
    {
        using var host = Build(c => c.AddWorkflow(Echo()));
        await host.StartAsync();
        await host.StopAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("The Cronflow engine has stopped.", report.Entries["cronflow"].Description);
    }

    [Fact]
    public async Task AddCronflow_LastScheduleTickLate_Degraded()
    {
        var clock = new StoppedClock(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        using var host = Build(c => c.AddWorkflow(Nightly()), o =>
        {
            o.TimeProvider = clock;
            o.ScheduleTickInterval = TimeSpan.FromMinutes(1);
        });
        await host.StartAsync();
        var ticker = host.Services.GetRequiredService<CronflowEngine>().Ticker!;
        await Poll.UntilAsync(() => ticker.LastTickAt is not null);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var onTime = await health.CheckHealthAsync();
        clock.Now += TimeSpan.FromMinutes(10);
        var late = await health.CheckHealthAsync();
        await host.StopAsync();

        Assert.Equal(HealthStatus.Healthy, onTime.Status);
        Assert.Equal(HealthStatus.Degraded, late.Status);
        Assert.StartsWith("Schedules are late", late.Entries["cronflow"].Description, StringComparison.Ordinal);
    }

    private static IHost Build(Action<CronflowBuilder> workflows, Action<CronflowHostOptions>? options = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddCronflowHost(workflows, options);
        builder.Services.AddHealthChecks().AddCronflow();
        return builder.Build();
    }

    /// <summary>A clock that moves only when the test moves it, and whose timers never fire: the ticker ticks once.</summary>
    private sealed class StoppedClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new SilentTimer();

        private sealed class SilentTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static class Poll
    {
        public static async Task UntilAsync(Func<bool> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (!condition())
            {
                await Task.Delay(20, timeout.Token);
            }
        }
    }
}
