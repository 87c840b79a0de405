using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// The fingerprint of a compiled workflow: which changes of shape change it and which do not.
/// </summary>
public sealed class WorkflowFingerprintTests
{
    private static string Fingerprint(Func<IWorkflowBuilder, IWorkflowBuilder> shape) =>
        shape(Workflow.Define("fp")).Build().Fingerprint;

    private static IWorkflowBuilder Baseline(IWorkflowBuilder wf) => wf
        .Step("fetch", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(1))).Timeout(TimeSpan.FromSeconds(30))
        .If("big", _ => true).Parallel(Branch, Branch).EndIf()
        .Step("save", _ => 2);

    [Fact]
    public void Fingerprint_IdenticalDefinitions_AreEqual()
    {
        var first = Fingerprint(Baseline);

        Assert.Equal(first, Fingerprint(Baseline));
        Assert.Matches("^[0-9a-f]{16}$", first);
    }

    [Fact]
    public void Fingerprint_DifferentBodiesSameShape_AreEqual()
    {
        var first = Fingerprint(wf => wf.Step("a", _ => 1));
        var second = Fingerprint(wf => wf.Step("a", _ => "something else"));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Fingerprint_StepAdded_Differs()
    {
        Assert.NotEqual(Fingerprint(Baseline), Fingerprint(wf => Baseline(wf).Step("extra", _ => 3)));
    }

    [Fact]
    public void Fingerprint_StepRenamed_Differs()
    {
        var renamed = Fingerprint(wf => wf
            .Step("fetch", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(1))).Timeout(TimeSpan.FromSeconds(30))
            .If("big", _ => true).Parallel(Branch, Branch).EndIf()
            .Step("store", _ => 2));

        Assert.NotEqual(Fingerprint(Baseline), renamed);
    }

    [Fact]
    public void Fingerprint_RetryAttemptsChanged_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Step("a", _ => 1).Retry(3)), Fingerprint(wf => wf.Step("a", _ => 1).Retry(4)));
    }

    [Fact]
    public void Fingerprint_RetryBackoffChanged_Differs()
    {
        Assert.NotEqual(
            Fingerprint(wf => wf.Step("a", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(1)))),
            Fingerprint(wf => wf.Step("a", _ => 1).Retry(3, Backoff.Exponential(TimeSpan.FromSeconds(1)))));
    }

    [Fact]
    public void Fingerprint_RetryAdded_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Step("a", _ => 1)), Fingerprint(wf => wf.Step("a", _ => 1).Retry(3)));
    }

    [Fact]
    public void Fingerprint_TimeoutChanged_Differs()
    {
        Assert.NotEqual(
            Fingerprint(wf => wf.Step("a", _ => 1).Timeout(TimeSpan.FromSeconds(30))),
            Fingerprint(wf => wf.Step("a", _ => 1).Timeout(TimeSpan.FromSeconds(31))));
    }

    [Fact]
    public void Fingerprint_StepBecomesAction_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Step("a", _ => 1)), Fingerprint(wf => wf.Action("a", _ => 1)));
    }

    [Fact]
    public void Fingerprint_ParallelBranchAdded_Differs()
    {
        Assert.NotEqual(Fingerprint(wf => wf.Parallel(Branch, Branch)), Fingerprint(wf => wf.Parallel(Branch, Branch, Branch)));
    }

    [Fact]
    public void Fingerprint_ForEachBodyStepAdded_Differs()
    {
        var one = Fingerprint(wf => wf.ForEach("each", _ => new[] { 1 }, (i, f) => f.Step("x", _ => i)));
        var two = Fingerprint(wf => wf.ForEach("each", _ => new[] { 1 }, (i, f) => f.Step("x", _ => i).Step("y", _ => i)));

        Assert.NotEqual(one, two);
    }

    [Fact]
    public void Fingerprint_HookAdded_Differs()
    {
        var without = Workflow.Define("fp").Step("a", _ => 1).Build().Fingerprint;
        var with = Workflow.Define("fp", o => o.Hooks.OnFailure = _ => Task.CompletedTask).Step("a", _ => 1).Build().Fingerprint;

        Assert.NotEqual(without, with);
    }
}
