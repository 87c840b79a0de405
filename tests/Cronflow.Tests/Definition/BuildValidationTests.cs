using Microsoft.Extensions.DependencyInjection;
using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// How <c>Build()</c> reports definition errors: the exception message, all errors at once, and the frozen
/// definition after a build or a registration (CRONFLOW0025).
/// </summary>
public sealed class BuildValidationTests
{
    // ---- all errors at once ---------------------------------------------------------------

    [Fact]
    public void Build_EmptyId_ReportsInvalidWorkflowId()
    {
        var error = SingleError(Workflow.Define("").Step("a", _ => 1));

        AssertErrorIn(error, ErrorCodes.InvalidWorkflowId, "", "id", "The workflow id ''", "1 to 100 letters, digits, '-', '_' or '.'");
    }

    [Fact]
    public void Build_FourProblems_ReportsAllFourInOrder()
    {
        var workflow = Workflow.Define("bad id!")
            .Step("fetch", _ => 1).Retry(0)
            .Parallel()
            .Step("save", _ => 2).Timeout(TimeSpan.Zero);

        var ex = Assert.Throws<WorkflowDefinitionException>(() => workflow.Build());

        Assert.Collection(
            ex.Errors,
            e => AssertErrorIn(e, ErrorCodes.InvalidWorkflowId, "bad id!", "id", "The workflow id 'bad id!'"),
            e => AssertErrorIn(e, ErrorCodes.InvalidRetry, "bad id!", "0", "Retry of 'fetch' has 0 attempts"),
            e => AssertErrorIn(e, ErrorCodes.EmptyParallel, "bad id!", "1", "no branches"),
            e => AssertErrorIn(e, ErrorCodes.InvalidTimeout, "bad id!", "2", "The timeout of 'save'"));
        Assert.StartsWith("Invalid workflow definition (4 problems):", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CRONFLOW0015 bad id! at 0: Retry of 'fetch' has 0 attempts; it needs at least 1.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_DuplicateNameBeforeEmptyParallel_ReportsInDefinitionOrder()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1).Step("a", _ => 2).Parallel();

        Assert.Collection(
            Errors(workflow),
            e => AssertError(e, ErrorCodes.DuplicateStepName, "1"),
            e => AssertError(e, ErrorCodes.EmptyParallel, "2"));
    }

    [Fact]
    public void Build_OneProblem_MessageNamesCodeWorkflowPathAndSentence()
    {
        var ex = Assert.Throws<WorkflowDefinitionException>(() => Workflow.Define(Id).Build());

        Assert.Equal("Invalid workflow definition: CRONFLOW0018 wf at root: The workflow has no steps.", ex.Message);
        Assert.IsAssignableFrom<CronflowException>(ex);
    }

    // ---- CRONFLOW0025 frozen definition ---------------------------------------------------

    [Fact]
    public void Build_CalledTwice_ReturnsSameInstance()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1);

        Assert.Same(workflow.Build(), workflow.Build());
    }

    [Fact]
    public void Build_InvalidCalledTwice_ThrowsSameException()
    {
        var workflow = Workflow.Define(Id);

        var first = Assert.Throws<WorkflowDefinitionException>(() => workflow.Build());
        var second = Assert.Throws<WorkflowDefinitionException>(() => workflow.Build());

        Assert.Same(first, second);
        Assert.Single(second.Errors);
    }

    [Fact]
    public void Step_AfterBuild_ThrowsInvalidOperationWithDefinitionFrozenCode()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1);
        workflow.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => workflow.Step("b", _ => 2));

        Assert.StartsWith("CRONFLOW0025: workflow 'wf' was already built", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Modifiers_AfterBuild_ThrowInvalidOperation()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1);
        workflow.Build();

        Assert.Contains(ErrorCodes.DefinitionFrozen, Assert.Throws<InvalidOperationException>(() => workflow.Retry(2)).Message, StringComparison.Ordinal);
        Assert.Contains(ErrorCodes.DefinitionFrozen, Assert.Throws<InvalidOperationException>(() => workflow.OnEvent("e")).Message, StringComparison.Ordinal);
        Assert.Contains(ErrorCodes.DefinitionFrozen, Assert.Throws<InvalidOperationException>(() => workflow.EndIf()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_AfterFailedBuild_ThrowsInvalidOperation()
    {
        var workflow = Workflow.Define(Id);
        Assert.Throws<WorkflowDefinitionException>(() => workflow.Build());

        var ex = Assert.Throws<InvalidOperationException>(() => workflow.Step("a", _ => 1));

        Assert.Contains(ErrorCodes.DefinitionFrozen, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_AfterRegistration_ThrowsInvalidOperation()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1);
        new ServiceCollection().AddCronflow(c => c.AddWorkflow(workflow));

        var ex = Assert.Throws<InvalidOperationException>(() => workflow.Step("b", _ => 2));

        Assert.Contains(ErrorCodes.DefinitionFrozen, ex.Message, StringComparison.Ordinal);
    }
}
