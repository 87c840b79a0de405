using Cronflow.Azurite.Tests.Infrastructure;

namespace Cronflow.Azurite.Tests;

/// <summary>Triggers with a caller-chosen run id on Azure Storage: idempotent for the same input, a conflict otherwise.</summary>
public sealed class TriggerTests : IAsyncLifetime
{
    private readonly string _hub = Storage.NewTaskHub();
    private CronflowHost _host = null!;

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(AzuriteFactAttribute.Variable) is null)
        {
            return;
        }

        _host = await CronflowHost.StartAsync(
            c => c.AddWorkflow(Workflow.Define("echo").Step("echo", ctx => ctx.Payload["value"].As<string>())),
            o => o.UseAzurite(_hub));
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            await Storage.DeleteTaskHubAsync(_hub);
        }
    }

    [AzuriteFact]
    public async Task TriggerAsync_SameRunIdTwice_StartsOneRun()
    {
        var first = await _host.Client.TriggerAsync("echo", new { value = "a" }, "order-42");
        var second = await _host.Client.TriggerAsync("echo", new { value = "a" }, "order-42");

        Assert.Equal("order-42", first);
        Assert.Equal(first, second);
        var run = await _host.Client.WaitForRunAsync(first, TimeSpan.FromSeconds(60));
        Assert.Equal("a", run.Output.As<string>());
        Assert.Equal("order-42", Assert.Single((await _host.Client.ListRunsAsync(new RunQuery { WorkflowId = "echo" })).Runs).Id);
    }

    [AzuriteFact]
    public async Task TriggerAsync_SameRunIdConcurrently_StartsOneRun()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _host.Client.TriggerAsync("echo", new { value = "b" }, "order-43")));

        Assert.All(ids, id => Assert.Equal("order-43", id));
        var run = await _host.Client.WaitForRunAsync("order-43", TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Single((await _host.Client.ListRunsAsync(new RunQuery { WorkflowId = "echo" })).Runs);
    }

    [AzuriteFact]
    public async Task TriggerAsync_SameRunIdOtherPayload_ThrowsRunConflict()
    {
        await _host.Client.TriggerAsync("echo", new { value = "c" }, "order-44");

        var ex = await Assert.ThrowsAsync<RunConflictException>(() => _host.Client.TriggerAsync("echo", new { value = "d" }, "order-44"));

        Assert.Contains("order-44", ex.Message, StringComparison.Ordinal);
        var run = await _host.Client.WaitForRunAsync("order-44", TimeSpan.FromSeconds(60));
        Assert.Equal("c", run.Output.As<string>());
        Assert.Single((await _host.Client.ListRunsAsync(new RunQuery { WorkflowId = "echo" })).Runs);
    }

    [AzuriteFact]
    public async Task TriggerAsync_SameRunIdOtherPayloadConcurrently_OneStartsOneConflicts()
    {
        var attempts = await Task.WhenAll(new[] { "x", "y" }.Select(async value =>
        {
            try
            {
                await _host.Client.TriggerAsync("echo", new { value }, "order-45");
                return value;
            }
            catch (RunConflictException)
            {
                return "conflict";
            }
        }));

        var run = await _host.Client.WaitForRunAsync("order-45", TimeSpan.FromSeconds(60));
        var winner = run.Output.As<string>();
        Assert.Equal(["conflict", winner], attempts.Order());
    }
}
