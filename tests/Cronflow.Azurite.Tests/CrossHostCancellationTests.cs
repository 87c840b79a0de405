using System.Collections.Concurrent;
using Cronflow.Azurite.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Azurite.Tests;

/// <summary>
/// Two hosts on one task hub: a step's cancellation token fires on whichever host runs the step, whether the run was
/// cancelled through the other host's client or the step's block was decided without it.
/// </summary>
public sealed class CrossHostCancellationTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _hub = Storage.NewTaskHub();
    private readonly Observed _observed = new();
    private readonly List<CronflowHost> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await Storage.DeleteTaskHubAsync(_hub);
    }

    [AzuriteFact]
    public async Task CancelAsync_ThroughTheOtherHost_StepTokenFiresOnTheHostRunningIt()
    {
        var (a, b) = await StartHostsAsync();

        var runId = await a.Client.TriggerAsync("blocked", new { key = "cancel" });
        var runningOn = await _observed.Started("cancel").WaitAsync(Wait);
        var other = runningOn == "A" ? b : a;
        await other.Client.CancelAsync(runId, "withdrawn");

        Assert.Equal(runningOn, await _observed.Cancelled("cancel").WaitAsync(Wait));
        var run = await a.Client.WaitForRunAsync(runId, Wait);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("withdrawn", run.Error!.Message);
    }

    [AzuriteFact]
    public async Task Parallel_BlockTimesOut_BranchTokenFiresOnWhicheverHostRunsIt()
    {
        var (a, _) = await StartHostsAsync();

        var runId = await a.Client.TriggerAsync("parallel-timeout", new { key = "branch" });
        var run = await a.Client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);
        Assert.Equal(await _observed.Started("branch").WaitAsync(Wait), await _observed.Cancelled("branch").WaitAsync(Wait));
    }

    private async Task<(CronflowHost A, CronflowHost B)> StartHostsAsync()
    {
        var a = await StartHostAsync("A");
        var b = await StartHostAsync("B");
        return (a, b);
    }

    private async Task<CronflowHost> StartHostAsync(string name)
    {
        var host = await CronflowHost.StartAsync(
            c =>
            {
                c.Services.AddSingleton(_observed);
                c.Services.AddSingleton(new HostName(name));
                c.Configure(o => o.CancellationCheckInterval = TimeSpan.FromMilliseconds(250));
                c.AddWorkflow(Workflow.Define("blocked").Step("block", BlockAsync));
                c.AddWorkflow(Workflow.Define("parallel-timeout").Parallel(
                    new ParallelOptions { Timeout = TimeSpan.FromSeconds(2) },
                    BlockAsync,
                    ctx => Task.FromResult<object?>("quick")));
            },
            o => o.UseAzurite(_hub));
        _hosts.Add(host);
        return host;
    }

    /// <summary>Says which host started it, waits until its token fires (and says where), or 50 s pass.</summary>
    private static async Task<object?> BlockAsync(StepContext ctx)
    {
        var observed = ctx.Services.GetRequiredService<Observed>();
        var host = ctx.Services.GetRequiredService<HostName>().Name;
        var key = ctx.Payload["key"].As<string>();
        var token = ctx.CancellationToken;
        observed.Start(key, host);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(50), token);
        }
        catch (OperationCanceledException)
        {
            observed.Cancel(key, host);
            throw;
        }

        return "ran to the end";
    }

    private sealed record HostName(string Name);

    /// <summary>Which host started a step, and which host saw its token fire.</summary>
    private sealed class Observed
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _events = new();

        public void Start(string key, string host) => Get("start:" + key).TrySetResult(host);

        public void Cancel(string key, string host) => Get("cancel:" + key).TrySetResult(host);

        public Task<string> Started(string key) => Get("start:" + key).Task;

        public Task<string> Cancelled(string key) => Get("cancel:" + key).Task;

        private TaskCompletionSource<string> Get(string name) => _events.GetOrAdd(name, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
