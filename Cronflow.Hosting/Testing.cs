using Microsoft.Extensions.DependencyInjection;

namespace Cronflow;

/// <summary>Runs a workflow once on a private in-memory engine, with real Durable semantics, for tests and quick tries.</summary>
public static class WorkflowTestExtensions
{
    /// <summary>
    /// Starts a private in-memory host with <paramref name="workflow"/> (and any workflows added in the options),
    /// runs it once with <paramref name="payload"/>, waits for the run to finish, and returns it.
    /// </summary>
    /// <example>
    /// <code>
    /// TestRun run = await wf.TestAsync(new { orderId = "A-1" }, o => o.MockStep("fetch-order", new Order("A-1", 900)));
    /// Assert.Equal(RunStatus.Completed, run.Status);
    /// </code>
    /// </example>
    public static async Task<TestRun> TestAsync(this IWorkflowBuilder workflow, object? payload, Action<TestOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var options = new TestOptions();
        configure?.Invoke(options);
        var host = await CronflowHost.StartAsync(
            c =>
            {
                c.AddWorkflow(workflow);
                foreach (var other in options.Workflows)
                {
                    c.AddWorkflow(other);
                }

                c.Services.AddSingleton(options.Mocks);
                options.ConfigureServices?.Invoke(c.Services);
                options.ConfigureEngine?.Invoke(c.Options);
            }).ConfigureAwait(false);
        await using var disposeHost = host.ConfigureAwait(false);
        var runId = await host.Client.TriggerAsync(workflow.Id, payload).ConfigureAwait(false);
        var run = await host.Client.WaitForRunAsync(runId, options.Timeout).ConfigureAwait(false);
        return new TestRun(run);
    }
}

/// <summary>Options of <see cref="WorkflowTestExtensions.TestAsync"/>.</summary>
public sealed class TestOptions
{
    internal StepMocks Mocks { get; } = new();

    internal List<IWorkflowBuilder> Workflows { get; } = [];

    internal Action<IServiceCollection>? ConfigureServices { get; private set; }

    internal Action<CronflowOptions>? ConfigureEngine { get; private set; }

    /// <summary>How long to wait for the run to finish (default 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Replaces the body of step (or block branch) <paramref name="stepName"/> with a fixed output.</summary>
    public TestOptions MockStep(string stepName, object? output)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stepName);
        Mocks.Add(null, stepName, _ => Task.FromResult(output));
        return this;
    }

    /// <summary>Replaces the body of step <paramref name="stepName"/> with <paramref name="body"/>.</summary>
    public TestOptions MockStep<T>(string stepName, Func<StepContext, T> body)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stepName);
        ArgumentNullException.ThrowIfNull(body);
        Mocks.Add(null, stepName, ctx => Task.FromResult<object?>(body(ctx)));
        return this;
    }

    /// <summary>Replaces the body of step <paramref name="stepName"/> with an asynchronous <paramref name="body"/>.</summary>
    public TestOptions MockStep<T>(string stepName, Func<StepContext, Task<T>> body)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stepName);
        ArgumentNullException.ThrowIfNull(body);
        Mocks.Add(null, stepName, async ctx => await body(ctx).ConfigureAwait(false));
        return this;
    }

    /// <summary>Registers another workflow (for subflows).</summary>
    public TestOptions AddWorkflow(IWorkflowBuilder workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        Workflows.Add(workflow);
        return this;
    }

    /// <summary>Registers services that step bodies resolve through <see cref="StepContext.Services"/>.</summary>
    public TestOptions Services(Action<IServiceCollection> configure)
    {
        ConfigureServices += configure;
        return this;
    }

    /// <summary>Changes engine limits for the test.</summary>
    public TestOptions Engine(Action<CronflowOptions> configure)
    {
        ConfigureEngine += configure;
        return this;
    }
}

/// <summary>The finished run returned by <see cref="WorkflowTestExtensions.TestAsync"/>.</summary>
public sealed class TestRun : RunInfo
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal TestRun(RunInfo run)
    {
        Id = run.Id;
        WorkflowId = run.WorkflowId;
        Status = run.Status;
        Payload = run.Payload;
        Output = run.Output;
        Error = run.Error;
        Steps = run.Steps;
        CreatedAt = run.CreatedAt;
        CompletedAt = run.CompletedAt;
        WaitingFor = run.WaitingFor;
        Pauses = run.Pauses;
        Fingerprint = run.Fingerprint;
        ReplayOf = run.ReplayOf;
    }

    /// <summary>The record of step <paramref name="name"/> (the last one, if it ran more than once).</summary>
    /// <exception cref="KeyNotFoundException">No step of that name ran.</exception>
    public StepRecord Step(string name) =>
        Steps.LastOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException($"Run '{Id}' has no step named '{name}'. Steps: {string.Join(", ", Steps.Select(s => s.Name))}.");
}
