namespace Cronflow.TestHost;

/// <summary>
/// The workflows served by the test host. They are deterministic: every output is computed from the payload, so a
/// test can check each run's result after crashes and restarts. Simulated latency honours the step's cancellation token.
/// </summary>
public static class TestWorkflows
{
    /// <summary>Five sequential steps with simulated I/O; payload <c>{ "n": int }</c>.</summary>
    public const string Chain = "chain";

    /// <summary>The number of steps of <see cref="Chain"/>.</summary>
    public const int ChainSteps = 5;

    /// <summary>One quick step, triggered by the webhook <c>/api/hooks/ping</c>; payload <c>{ "n": int }</c>.</summary>
    public const string Ping = "ping";

    /// <summary>The webhook path of <see cref="Ping"/> (below <c>/api</c>).</summary>
    public const string PingPath = "/hooks/ping";

    /// <summary>Called after each chain step's body has finished, with the run id and the step name (the host process prints it).</summary>
    public static Action<string, string>? StepFinished { get; set; }

    /// <summary>Registers every test workflow.</summary>
    public static CronflowBuilder AddTestWorkflows(this CronflowBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddWorkflow(ChainWorkflow()).AddWorkflow(PingWorkflow());
    }

    /// <summary>The <see cref="Chain"/> workflow.</summary>
    public static IWorkflowBuilder ChainWorkflow()
    {
        var wf = Workflow.Define(Chain);
        for (var i = 1; i <= ChainSteps; i++)
        {
            var step = i;
            wf = wf.Step($"s{step}", async ctx =>
            {
                var n = ctx.Payload["n"].As<long>();
                await Task.Delay(LatencyMs(n, step), ctx.CancellationToken).ConfigureAwait(false);
                var previous = step == 1 ? n : ctx.Last.As<long>();
                StepFinished?.Invoke(ctx.Run.Id, ctx.StepName);
                return Next(previous, step);
            });
        }

        return wf;
    }

    /// <summary>The <see cref="Ping"/> workflow.</summary>
    public static IWorkflowBuilder PingWorkflow() => Workflow.Define(Ping)
        .OnWebhook(PingPath)
        .Step("pong", ctx => ctx.Payload["n"].As<long>() * 2);

    /// <summary>The simulated latency of step <paramref name="step"/> of the chain run for <paramref name="n"/>: 200–499 ms.</summary>
    public static int LatencyMs(long n, int step) => 200 + (int)(((n * 37) + (step * 91)) % 300);

    /// <summary>What step <paramref name="step"/> of the chain makes of the previous value.</summary>
    public static long Next(long previous, int step) => (previous * 31) + step;

    /// <summary>The output of a chain run for <paramref name="n"/>.</summary>
    public static long ExpectedChainOutput(long n)
    {
        var value = n;
        for (var step = 1; step <= ChainSteps; step++)
        {
            value = Next(value, step);
        }

        return value;
    }
}
