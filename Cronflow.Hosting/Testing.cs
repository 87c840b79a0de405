using Microsoft.Extensions.DependencyInjection;

namespace Cronflow;

/// <summary>Runs a workflow once on a private in-memory engine, with real Durable semantics, for tests and quick tries.</summary>
public static class WorkflowTestExtensions
{
    /// <summary>
    /// Starts a private in-memory host with <paramref name="workflow"/> (and any workflows added in the options),
    /// runs it once with <paramref name="payload"/>, waits for the run to finish, and returns it. While the run goes on,
    /// the events set with <see cref="TestOptions.RaiseEvent"/> are delivered when it waits for them and its
    /// human-in-the-loop pauses are answered with <see cref="TestOptions.Resume"/>; with
    /// <see cref="TestOptions.UseVirtualTime"/>, its durable timers fire at once and its time jumps to their due time.
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
        var client = (DurableCronflowClient)host.Client;
        var input = client.CreateInput(workflow.Id, payload);
        input.Virtual = options.VirtualTime ? options.VirtualTimeInput() : null;
        var runId = await client.StartAsync(input, null).ConfigureAwait(false);
        var run = options.Events.Count == 0 && options.Resumes.Count == 0
            ? await client.WaitForRunAsync(runId, options.Timeout).ConfigureAwait(false)
            : await AnswerUntilFinishedAsync(client, runId, options).ConfigureAwait(false);
        return new TestRun(run);
    }

    /// <summary>
    /// Watches the run until it finishes: raises each scripted event when the run waits for one of that name, and
    /// resumes each pause once, with the next scripted payload (the last one answers every later pause).
    /// </summary>
    private static async Task<RunInfo> AnswerUntilFinishedAsync(DurableCronflowClient client, string runId, TestOptions options)
    {
        var events = options.Events.ToDictionary(e => e.Key, e => new Queue<object?>(e.Value), StringComparer.Ordinal);
        var resumed = new HashSet<string>(StringComparer.Ordinal);
        var deadline = TimeProvider.System.GetUtcNow() + options.Timeout;
        while (true)
        {
            var run = await client.GetRunAsync(runId).ConfigureAwait(false) ?? throw new RunNotFoundException(runId);
            if (run.IsFinished)
            {
                return run;
            }

            // A second delivery for the same wait is harmless: the run takes a name's events in order, one per wait.
            foreach (var name in EventsWaitedFor(run))
            {
                if (events.TryGetValue(name, out var queue) && queue.TryDequeue(out var eventPayload))
                {
                    await client.RaiseEventAsync(runId, name, eventPayload).ConfigureAwait(false);
                }
            }

            foreach (var pause in run.Pauses)
            {
                if (options.Resumes.Count > 0 && resumed.Add(pause.Token))
                {
                    var answer = options.Resumes[Math.Min(resumed.Count, options.Resumes.Count) - 1];
                    try
                    {
                        await client.ResumeAsync(pause.Token, answer).ConfigureAwait(false);
                    }
                    catch (ResumeTokenNotFoundException)
                    {
                        // The pause ended (timed out, in real time) before the answer arrived.
                    }
                }
            }

            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                throw new RunWaitTimeoutException(runId, options.Timeout, run.Status);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5)).ConfigureAwait(false);
        }
    }

    /// <summary>The names of the events the run waits for now (in its status, or in its records for waits in parallel).</summary>
    private static IEnumerable<string> EventsWaitedFor(RunInfo run) =>
        run.Steps
            .Where(s => s.Status == StepStatus.Waiting)
            .Select(s => s.Detail)
            .Append(run.WaitingFor)
            .OfType<string>()
            .Where(what => what.StartsWith(Interpreter.EventWaitPrefix, StringComparison.Ordinal))
            .Select(what => what[Interpreter.EventWaitPrefix.Length..])
            .Distinct(StringComparer.Ordinal);
}

/// <summary>Options of <see cref="WorkflowTestExtensions.TestAsync"/>.</summary>
public sealed class TestOptions
{
    internal StepMocks Mocks { get; } = new();

    internal List<IWorkflowBuilder> Workflows { get; } = [];

    internal Action<IServiceCollection>? ConfigureServices { get; private set; }

    internal Action<CronflowOptions>? ConfigureEngine { get; private set; }

    internal bool VirtualTime { get; private set; }

    internal Dictionary<string, List<object?>> Events { get; } = new(StringComparer.Ordinal);

    internal List<object?> Resumes { get; } = [];

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

    /// <summary>
    /// Runs the workflow in virtual time: a durable timer (a sleep, an event or approval timeout, a retry backoff, a
    /// timeout) fires as soon as nothing else can happen before it, and the run's clock jumps to its due time, so a
    /// run that sleeps for days ends in milliseconds. Steps take real time; waits answered with
    /// <see cref="RaiseEvent"/> or <see cref="Resume"/> do not time out; other waits time out at once.
    /// </summary>
    /// <example>
    /// <code>
    /// TestRun run = await wf.TestAsync(payload, o => o.UseVirtualTime().RaiseEvent("payment.settled", new { ok = true }));
    /// </code>
    /// </example>
    public TestOptions UseVirtualTime()
    {
        VirtualTime = true;
        return this;
    }

    /// <summary>
    /// Delivers event <paramref name="eventName"/> with <paramref name="payload"/> when the run waits for it. Called
    /// more than once for a name, the payloads answer that name's waits in order.
    /// </summary>
    public TestOptions RaiseEvent(string eventName, object? payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        if (!Events.TryGetValue(eventName, out var payloads))
        {
            Events[eventName] = payloads = [];
        }

        payloads.Add(payload);
        return this;
    }

    /// <summary>
    /// Answers the run's human-in-the-loop pauses with <paramref name="payload"/> (<c>approved</c>, <c>reason</c>,
    /// <c>approvedBy</c>), once the pause's <c>OnPause</c> has run. Called more than once, the payloads answer the
    /// pauses in order, and the last one answers every later pause.
    /// </summary>
    public TestOptions Resume(object? payload)
    {
        Resumes.Add(payload);
        return this;
    }

    /// <summary>What the run is told in virtual time: which of its waits the harness answers.</summary>
    internal VirtualTimeInput VirtualTimeInput() => new()
    {
        Events = Events.Count == 0 ? null : Events.ToDictionary(e => e.Key, e => e.Value.Count, StringComparer.Ordinal),
        Resumes = Resumes.Count > 0,
    };

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
