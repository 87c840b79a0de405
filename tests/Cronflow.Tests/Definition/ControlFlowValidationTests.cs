using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// Definition errors about control-flow structure: conditionals (CRONFLOW0005–CRONFLOW0009), empty blocks
/// (CRONFLOW0010–CRONFLOW0012), an empty workflow or branch (CRONFLOW0018) and a missing delegate (CRONFLOW0019).
/// </summary>
public sealed class ControlFlowValidationTests
{
    // ---- CRONFLOW0005–0009 conditional structure ------------------------------------------

    [Fact]
    public void ElseIf_WithoutIf_ReportsElseIfWithoutIf()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).ElseIf("other", _ => true).Step("b", _ => 2));

        AssertError(error, ErrorCodes.ElseIfWithoutIf, "1", "ElseIf 'other' has no open If before it.");
    }

    [Fact]
    public void ElseIf_AfterEndIf_ReportsElseIfWithoutIf()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true).Step("a", _ => 1).EndIf()
            .ElseIf("late", _ => true).Step("b", _ => 2);

        AssertError(SingleError(workflow), ErrorCodes.ElseIfWithoutIf, "1", "ElseIf 'late'");
    }

    [Fact]
    public void Else_WithoutIf_ReportsElseWithoutIf()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Else().Step("b", _ => 2));

        AssertError(error, ErrorCodes.ElseWithoutIf, "1", "Else has no open If before it.");
    }

    [Fact]
    public void EndIf_WithoutIf_ReportsEndIfWithoutIf()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).EndIf());

        AssertError(error, ErrorCodes.EndIfWithoutIf, "1", "EndIf has no open If before it.");
    }

    [Fact]
    public void EndIf_OneTooMany_ReportsEndIfWithoutIf()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true).Step("a", _ => 1).EndIf()
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.EndIfWithoutIf, "1", "EndIf has no open If");
    }

    [Fact]
    public void If_WithoutEndIf_ReportsUnclosedIf()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1).If("cond", _ => true).Step("b", _ => 2);

        AssertError(SingleError(workflow), ErrorCodes.UnclosedIf, "1", "If 'cond' is never closed with EndIf.");
    }

    [Fact]
    public void If_NestedOuterNotClosed_ReportsUnclosedOuterIf()
    {
        var workflow = Workflow.Define(Id)
            .If("outer", _ => true)
                .Step("a", _ => 1)
                .If("inner", _ => true)
                    .Step("b", _ => 2)
                .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.UnclosedIf, "0", "If 'outer' is never closed");
    }

    [Fact]
    public void If_NestedNeitherClosed_ReportsBothUnclosedIfs()
    {
        var workflow = Workflow.Define(Id)
            .If("outer", _ => true)
                .Step("a", _ => 1)
                .If("inner", _ => true)
                    .Step("b", _ => 2);

        var errors = Errors(workflow).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();

        Assert.Collection(
            errors,
            e => AssertError(e, ErrorCodes.UnclosedIf, "0", "If 'outer' is never closed"),
            e => AssertError(e, ErrorCodes.UnclosedIf, "0/b0/1", "If 'inner' is never closed"));
    }

    [Fact]
    public void ElseIf_AfterElse_ReportsBranchAfterElse()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true).Step("a", _ => 1)
            .Else().Step("b", _ => 2)
            .ElseIf("late", _ => true).Step("c", _ => 3)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.BranchAfterElse, "0", "ElseIf 'late' comes after the Else of if 'cond'.");
    }

    [Fact]
    public void Else_Twice_ReportsBranchAfterElse()
    {
        var workflow = Workflow.Define(Id)
            .Step("first", _ => 0)
            .If("cond", _ => true).Step("a", _ => 1)
            .Else().Step("b", _ => 2)
            .Else().Step("c", _ => 3)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.BranchAfterElse, "1", "If 'cond' has two Else branches.");
    }

    // ---- CRONFLOW0010–0012 empty blocks ---------------------------------------------------

    [Fact]
    public void Parallel_NoBranches_ReportsEmptyParallel()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Parallel());

        AssertError(error, ErrorCodes.EmptyParallel, "1", "The parallel block has no branches.");
    }

    [Fact]
    public void Parallel_OptionsButNoBranches_ReportsEmptyParallel()
    {
        var error = SingleError(Workflow.Define(Id).Parallel(new ParallelOptions { MaxConcurrency = 2 }));

        AssertError(error, ErrorCodes.EmptyParallel, "0", "no branches");
    }

    [Fact]
    public void Race_NoArguments_ReportsEmptyRace()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Race());

        AssertError(error, ErrorCodes.EmptyRace, "1", "The race has no branches; a race needs at least one.");
    }

    [Fact]
    public void Race_EmptyArray_ReportsEmptyRace()
    {
        var error = SingleError(Workflow.Define(Id).Race(new RaceOptions { Name = "fastest" }, []));

        AssertError(error, ErrorCodes.EmptyRace, "0", "no branches");
    }

    [Fact]
    public void ForEach_BodyAddsNoSteps_ReportsEmptyForEach()
    {
        var workflow = Workflow.Define(Id)
            .Step("a", _ => 1)
            .ForEach("each-user", _ => new[] { 1, 2 }, (item, flow) => { });

        AssertError(SingleError(workflow), ErrorCodes.EmptyForEach, "1", "The body of for-each 'each-user' adds no steps.");
    }

    [Fact]
    public void ForEach_BodyWithInvalidModifier_ReportsErrorAtBodyPath()
    {
        var workflow = Workflow.Define(Id)
            .ForEach("each", _ => new[] { 1 }, (item, flow) => flow.Step("a", _ => item).Step("b", _ => item).Retry(0));

        AssertError(SingleError(workflow), ErrorCodes.InvalidRetry, "0/each/1", "Retry of 'b' has 0 attempts");
    }

    // ---- CRONFLOW0018 empty workflow or branch --------------------------------------------

    [Fact]
    public void Build_NoSteps_ReportsEmptyWorkflow()
    {
        var error = SingleError(Workflow.Define(Id));

        AssertError(error, ErrorCodes.EmptyWorkflow, "root", "The workflow has no steps.");
    }

    [Fact]
    public void Build_OnlyTriggers_ReportsEmptyWorkflow()
    {
        var error = SingleError(Workflow.Define(Id).OnEvent("order.created").OnInterval(TimeSpan.FromMinutes(1)));

        AssertError(error, ErrorCodes.EmptyWorkflow, "root", "has no steps");
    }

    [Fact]
    public void If_BranchWithNoSteps_ReportsEmptyWorkflow()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1).If("cond", _ => true).EndIf();

        AssertError(SingleError(workflow), ErrorCodes.EmptyWorkflow, "1", "Branch 'cond' of if 'cond' has no steps.");
    }

    [Fact]
    public void ElseIf_BranchWithNoSteps_ReportsEmptyWorkflow()
    {
        var workflow = Workflow.Define(Id)
            .If("high", _ => true).Step("a", _ => 1)
            .ElseIf("medium", _ => true)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.EmptyWorkflow, "0", "Branch 'medium' of if 'high' has no steps.");
    }

    [Fact]
    public void Else_WithNoSteps_ReportsEmptyWorkflow()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true).Step("a", _ => 1)
            .Else()
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.EmptyWorkflow, "0", "The Else branch of if 'cond' has no steps.");
    }

    // ---- CRONFLOW0019 missing delegate ----------------------------------------------------

    [Fact]
    public void Step_NullBody_ReportsMissingDelegate()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", (Func<StepContext, int>)null!));

        AssertError(error, ErrorCodes.MissingDelegate, "0", "The body of step 'a' is null.");
    }

    [Fact]
    public void Action_NullBody_ReportsMissingDelegate()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Action("notify", (Action<StepContext>)null!));

        AssertError(error, ErrorCodes.MissingDelegate, "1", "The body of action 'notify' is null.");
    }

    [Fact]
    public void If_NullCondition_ReportsMissingDelegate()
    {
        var workflow = Workflow.Define(Id).If("cond", null!).Step("a", _ => 1).EndIf();

        AssertError(SingleError(workflow), ErrorCodes.MissingDelegate, "0", "The condition of if 'cond' is null.");
    }

    [Fact]
    public void ElseIf_NullCondition_ReportsMissingDelegate()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true).Step("a", _ => 1)
            .ElseIf("other", null!).Step("b", _ => 2)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.MissingDelegate, "0", "The condition of else-if 'other' is null.");
    }

    [Fact]
    public void ForEach_NullItems_ReportsMissingDelegate()
    {
        var workflow = Workflow.Define(Id).ForEach<int>("each", null!, (item, flow) => flow.Step("x", _ => item));

        AssertError(SingleError(workflow), ErrorCodes.MissingDelegate, "0", "The item selector of for-each 'each' is null.");
    }

    [Fact]
    public void ForEach_NullBody_ReportsMissingDelegate()
    {
        var workflow = Workflow.Define(Id).ForEach<int>("each", _ => [1], null!);

        var errors = Errors(workflow);

        AssertError(errors[0], ErrorCodes.MissingDelegate, "0", "The body of for-each 'each' is null.");
    }

    [Fact]
    public void Parallel_NullBranch_ReportsMissingDelegateAtBranchPath()
    {
        var workflow = Workflow.Define(Id).Step("a", _ => 1).Parallel(Branch, null!);

        AssertError(SingleError(workflow), ErrorCodes.MissingDelegate, "1/1", "Branch 1 of the parallel block is null.");
    }

    [Fact]
    public void Race_NullBranch_ReportsMissingDelegateAtBranchPath()
    {
        var workflow = Workflow.Define(Id).Race(new Func<StepContext, Task<object?>>[] { null!, Branch });

        AssertError(SingleError(workflow), ErrorCodes.MissingDelegate, "0/0", "Branch 0 of the race block is null.");
    }

    [Fact]
    public void OnError_NullHandler_ReportsMissingDelegate()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).OnError((Func<StepContext, int>)null!));

        AssertError(error, ErrorCodes.MissingDelegate, "0", "The OnError handler of 'a' is null.");
    }
}
