using Cronflow.Hosting;
using DurableTask.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cronflow.Tests.Hosting;

public sealed class GenericHostTests
{
    /// <summary>A service the application registers; the step resolves it from the application's container.</summary>
    public sealed class Greeter
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public string Greet(string name)
        {
            Interlocked.Increment(ref _calls);
            return $"hello {name}";
        }
    }

    private static IWorkflowBuilder Greeting() => Workflow.Define("greeting")
        .Step("greet", ctx => ctx.Services.GetRequiredService<Greeter>().Greet(ctx.Payload["name"].As<string>()));

    [Fact]
    public async Task AddCronflowHost_StepUsesApplicationService_RunCompletesWithIt()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var greeter = new Greeter();
        builder.Services.AddSingleton(greeter);
        builder.Services.AddCronflowHost(c => c.AddWorkflow(Greeting()));
        using var host = builder.Build();

        await host.StartAsync();
        var client = host.Services.GetRequiredService<ICronflowClient>();
        var run = await client.WaitForRunAsync(await client.TriggerAsync("greeting", new { name = "ada" }), TimeSpan.FromSeconds(20));
        await host.StopAsync();

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("hello ada", run.Output.As<string>());
        Assert.Equal(1, greeter.Calls);
    }

    [Fact]
    public async Task AddCronflowHost_HostStops_EngineStopsAndClientRunsNothingMore()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(new Greeter());
        builder.Services.AddCronflowHost(c => c.AddWorkflow(Greeting()));
        using var host = builder.Build();
        var engine = host.Services.GetRequiredService<CronflowEngine>();

        Assert.Equal(CronflowEngine.EngineState.NotStarted, engine.State);
        await host.StartAsync();
        Assert.Equal(CronflowEngine.EngineState.Started, engine.State);
        await host.StopAsync();

        Assert.Equal(CronflowEngine.EngineState.Stopped, engine.State);
        var client = host.Services.GetRequiredService<ICronflowClient>();
        var runId = await client.TriggerAsync("greeting", new { name = "late" });
        await Assert.ThrowsAsync<RunWaitTimeoutException>(() => client.WaitForRunAsync(runId, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AddCronflowHost_EngineNeverStops_HostStopReturnsAtShutdownTimeout()
    {
        NeverStoppingService? service = null;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        builder.Services.AddCronflowHost(
            c => c.AddWorkflow(Workflow.Define("echo").Step("echo", ctx => ctx.Payload)),
            o =>
            {
                o.StopTimeout = TimeSpan.FromMinutes(10);
                o.WrapWorkerService = inner => service = new NeverStoppingService(inner);
            });
        using var host = builder.Build();
        await host.StartAsync();

        // Without the host's shutdown timeout this would wait for the backend for ten minutes.
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(service!.StopRequested);
    }

    [Fact]
    public async Task AddCronflowHost_ListenOn_ServesLocalApiOverTheApplicationsEngine()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var greeter = new Greeter();
        builder.Services.AddSingleton(greeter);
        builder.Services.AddCronflowHost(c => c.AddWorkflow(Greeting()), o => o.ListenOn("http://127.0.0.1:0"));
        using var host = builder.Build();
        await host.StartAsync();
        var url = Assert.Single(host.Services.GetRequiredService<CronflowListener>().Urls);
        using var http = new HttpClient { BaseAddress = new Uri(url) };

        var trigger = await http.PostAsync("/api/workflows/greeting/runs", new StringContent("{\"name\":\"bo\"}", System.Text.Encoding.UTF8, "application/json"));
        var runId = System.Text.Json.JsonDocument.Parse(await trigger.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
        var run = await host.Services.GetRequiredService<ICronflowClient>().WaitForRunAsync(runId, TimeSpan.FromSeconds(20));
        await host.StopAsync();

        Assert.Equal(System.Net.HttpStatusCode.Accepted, trigger.StatusCode);
        Assert.Equal("hello bo", run.Output.As<string>());
        Assert.Equal(1, greeter.Calls);
    }

    [Fact]
    public void AddCronflowHost_CalledTwice_Throws()
    {
        var services = new ServiceCollection().AddCronflowHost(c => c.AddWorkflow(Greeting()));

        Assert.Throws<InvalidOperationException>(() => services.AddCronflowHost(c => c.AddWorkflow(Workflow.Define("other").Step("s", ctx => ctx.Payload))));
    }
}
