using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

/// <summary>The run hooks OnSuccess and OnFailure.</summary>
public sealed class HookTests
{
    [Fact]
    public async Task Hooks_OnSuccessRunsOnce_FailingHookDoesNotChangeOutcome()
    {
        var counter = new AttemptCounter();
        var wf = Workflow.Define("hooked", o =>
            {
                o.Hooks.OnSuccess = ctx =>
                {
                    ctx.Services.GetRequiredService<AttemptCounter>().Next("success:" + ctx.Last.As<int>());
                    throw new InvalidOperationException("mail server down");
                };
                o.Hooks.OnFailure = ctx => { ctx.Services.GetRequiredService<AttemptCounter>().Next("failure"); return Task.CompletedTask; };
            })
            .Step("value", ctx => 7);

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(counter)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(7, run.Output.As<int>());
        Assert.Equal(1, counter.Count("success:7"));
        Assert.Equal(0, counter.Count("failure"));
        Assert.Equal(StepStatus.Failed, run.Step("onSuccess").Status);
        Assert.Equal("mail server down", run.Step("onSuccess").Error!.Message);
    }
}
