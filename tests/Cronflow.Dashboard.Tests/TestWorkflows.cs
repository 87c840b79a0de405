namespace Cronflow.Dashboard.Tests;

/// <summary>Workflows the browser tests drive besides the samples.</summary>
public static class TestWorkflows
{
    public const string Timeline = "dash-timeline";
    public const string Gated = "dash-gated";
    public const string Echo = "dash-echo";

    public static IReadOnlyList<IWorkflowBuilder> All => [TimelineWorkflow, GatedWorkflow, EchoWorkflow];

    /// <summary>Every kind of record: a step, a step that succeeds on its third attempt, a parallel block, a race, an if/else, a sleep, a for-each.</summary>
    public static IWorkflowBuilder TimelineWorkflow =>
        Workflow.Define(Timeline, o => o.Name = "Timeline showcase")
            .Step("fetch", ctx => new { big = ctx.Payload["big"].As<bool>() })
            .Step("flaky", ctx => ctx.Attempt < 3 ? throw new InvalidOperationException($"attempt {ctx.Attempt} failed") : new { attempt = ctx.Attempt })
            .Retry(3, Backoff.Fixed(TimeSpan.FromMilliseconds(50)))
            .Parallel(
                new ParallelOptions { Name = "fan-out" },
                async ctx => { await Task.Delay(60, ctx.CancellationToken); return "a"; },
                async ctx => { await Task.Delay(90, ctx.CancellationToken); return "b"; },
                async ctx => { await Task.Delay(30, ctx.CancellationToken); return "c"; })
            .Race(
                new RaceOptions { Name = "pick" },
                async ctx => { await Task.Delay(TimeSpan.FromSeconds(5), ctx.CancellationToken); return "slow"; },
                async ctx => { await Task.Delay(40, ctx.CancellationToken); return "fast"; })
            .If("big", ctx => ctx.Steps["fetch"].Output["big"].As<bool>())
                .Step("big-path", _ => "big")
            .Else()
                .Step("small-path", _ => "small")
            .EndIf()
            .Sleep(TimeSpan.FromMilliseconds(150))
            .ForEach("each-item", _ => new[] { 1, 2, 3 }, (item, body) => body.Step("square", _ => item * item))
            .Step("done", ctx => new { finished = true });

    /// <summary>Waits for the event <c>go</c>, then echoes it.</summary>
    public static IWorkflowBuilder GatedWorkflow =>
        Workflow.Define(Gated, o => o.Name = "Gated")
            .Step("prepare", _ => new { ready = true })
            .WaitForEvent("go", TimeSpan.FromHours(1))
            .Step("finish", ctx => new { received = ctx.Last });

    /// <summary>Returns its payload.</summary>
    public static IWorkflowBuilder EchoWorkflow =>
        Workflow.Define(Echo, o => o.Name = "Echo")
            .Step("echo", ctx => ctx.Payload);
}
