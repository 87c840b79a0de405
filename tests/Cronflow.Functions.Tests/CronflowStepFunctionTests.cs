using System.Text.Json;
using Microsoft.DurableTask.Client;

namespace Cronflow.Functions.Tests;

public sealed class CronflowStepFunctionTests
{
    [Fact]
    public async Task RunAsync_StepRequest_RunsTheStepBodyAndReturnsItsOutput()
    {
        await using var host = new FunctionsTestHost(workflows: c => c.AddWorkflow(Workflow.Define("double").Step("double", ctx => ctx.Payload["n"].As<int>() * 2)));
        var request = JsonSerializer.SerializeToElement(
            new StepRequest { WorkflowId = "double", Path = "0", Name = "double", RunId = "r-1", Payload = JsonSerializer.SerializeToElement(new { n = 21 }) },
            CronflowJson.Options);

        var output = await new CronflowStepFunction(host.Runtime).RunAsync(request, null, TestContexts.Function());

        Assert.Equal("0", output.GetProperty("path").GetString());
        Assert.Equal(42, output.GetProperty("output").GetInt32());
    }

    [Fact]
    public async Task RunAsync_FailingStep_ThrowsForTheActivityFailureDetails()
    {
        await using var host = new FunctionsTestHost(workflows: c => c.AddWorkflow(Workflow.Define("bad").Step("bad", Fail)));
        var request = JsonSerializer.SerializeToElement(new StepRequest { WorkflowId = "bad", Path = "0", Name = "bad", RunId = "r-2" }, CronflowJson.Options);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => new CronflowStepFunction(host.Runtime).RunAsync(request, null, TestContexts.Function()));

        Assert.Equal("nope", ex.Message);
    }

    [Fact]
    public async Task RunAsync_CancelledInvocation_CancelsTheStepToken()
    {
        await using var host = new FunctionsTestHost(workflows: c => c.AddWorkflow(Workflow.Define("wait").Step("wait", async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return 0;
        })));
        using var cancellation = new CancellationTokenSource();
        var request = JsonSerializer.SerializeToElement(new StepRequest { WorkflowId = "wait", Path = "0", Name = "wait", RunId = "r-3" }, CronflowJson.Options);

        var running = new CronflowStepFunction(host.Runtime).RunAsync(request, null, TestContexts.Function(cancellationToken: cancellation.Token));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task RunAsync_RunCancelledThroughAnotherInstance_StepTokenFires()
    {
        await using var host = new FunctionsTestHost(workflows: c => c.AddWorkflow(Workflow.Define("wait").Step("wait", async ctx =>
        {
            await Task.Delay(TimeSpan.FromSeconds(20), ctx.CancellationToken);
            return 0;
        })));
        var request = JsonSerializer.SerializeToElement(new StepRequest { WorkflowId = "wait", Path = "0", Name = "wait", RunId = "r-4", Call = 0 }, CronflowJson.Options);
        host.Instances["r-4"] = FunctionsTestHost.Instance("r-4", OrchestrationRuntimeStatus.Terminated, null);

        // The run was terminated by a client elsewhere (another instance of the app): only the task hub says so.
        var running = new CronflowStepFunction(host.Runtime).RunAsync(request, host.Client.Object, TestContexts.Function());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_StepAbandonedByItsBlock_StepTokenFires()
    {
        await using var host = new FunctionsTestHost(workflows: c => c.AddWorkflow(Workflow.Define("wait").Step("wait", async ctx =>
        {
            await Task.Delay(TimeSpan.FromSeconds(20), ctx.CancellationToken);
            return 0;
        })));
        var request = JsonSerializer.SerializeToElement(new StepRequest { WorkflowId = "wait", Path = "0", Name = "wait", RunId = "r-5", Call = 3 }, CronflowJson.Options);
        var progress = JsonSerializer.Serialize(new RunProgress { Abandoned = [3] }, CronflowJson.Options);
        host.Instances["r-5"] = FunctionsTestHost.Instance("r-5", OrchestrationRuntimeStatus.Running, null, customStatus: progress);

        var running = new CronflowStepFunction(host.Runtime).RunAsync(request, host.Client.Object, TestContexts.Function());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static int Fail(StepContext context) => throw new InvalidOperationException("nope");
}
