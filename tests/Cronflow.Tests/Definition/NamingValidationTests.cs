using Microsoft.Extensions.DependencyInjection;
using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// Definition errors about names: workflow ids (CRONFLOW0001, CRONFLOW0002), step names (CRONFLOW0003,
/// CRONFLOW0004) and event names (CRONFLOW0023).
/// </summary>
public sealed class NamingValidationTests
{
    // ---- CRONFLOW0001 invalid workflow id -------------------------------------------------

    [Fact]
    public void Build_NullId_ReportsInvalidWorkflowId()
    {
        var error = SingleError(Workflow.Define(null!).Step("a", _ => 1));

        AssertErrorIn(error, ErrorCodes.InvalidWorkflowId, "", "id", "The workflow id ''");
    }

    [Theory]
    [InlineData("order processing")]
    [InlineData("orders!")]
    [InlineData("orders/v2")]
    [InlineData("-orders")]
    [InlineData(".orders")]
    [InlineData(" orders")]
    [InlineData("commande-\u00e9t\u00e9")]
    public void Build_IdWithInvalidCharacters_ReportsInvalidWorkflowId(string id)
    {
        var error = SingleError(Workflow.Define(id).Step("a", _ => 1));

        AssertErrorIn(error, ErrorCodes.InvalidWorkflowId, id, "id", $"The workflow id '{id}'", "starting with a letter or digit");
    }

    [Fact]
    public void Build_IdLongerThan100Characters_ReportsInvalidWorkflowId()
    {
        var id = new string('a', 101);

        var error = SingleError(Workflow.Define(id).Step("a", _ => 1));

        AssertErrorIn(error, ErrorCodes.InvalidWorkflowId, id, "id", "1 to 100");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("order-processing")]
    [InlineData("Orders_V2.1")]
    [InlineData("9lives")]
    public void Build_ValidId_Builds(string id)
    {
        var definition = Workflow.Define(id).Step("a", _ => 1).Build();

        Assert.Equal(id, definition.Id);
    }

    [Fact]
    public void Build_IdOf100Characters_Builds()
    {
        var id = new string('a', 100);

        Assert.Equal(id, Workflow.Define(id).Step("a", _ => 1).Build().Id);
    }

    // ---- CRONFLOW0002 duplicate workflow id -----------------------------------------------

    [Fact]
    public void AddCronflow_TwoWorkflowsWithSameId_ReportsDuplicateWorkflowId()
    {
        var first = Workflow.Define("orders").Step("a", _ => 1);
        var second = Workflow.Define("orders").Step("b", _ => 2);

        var ex = Assert.Throws<WorkflowDefinitionException>(() =>
            new ServiceCollection().AddCronflow(c => c.AddWorkflow(first).AddWorkflow(second)));

        var error = Assert.Single(ex.Errors);
        AssertErrorIn(error, ErrorCodes.DuplicateWorkflowId, "orders", "id", "A workflow with id 'orders' is already registered.");
    }

    [Fact]
    public void AddCronflow_DistinctIds_Registers()
    {
        var services = new ServiceCollection().AddCronflow(c => c
            .AddWorkflow(Workflow.Define("one").Step("a", _ => 1))
            .AddWorkflow(Workflow.Define("two").Step("a", _ => 1)));

        using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<WorkflowRegistry>();
        Assert.Equal(["one", "two"], registry.All.Select(w => w.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void WorkflowRegistry_SameIdThreeTimes_ReportsEachDuplicate()
    {
        var definitions = Enumerable.Range(0, 3).Select(i => Workflow.Define("orders").Step($"s{i}", _ => i).Build()).ToList();

        var ex = Assert.Throws<WorkflowDefinitionException>(() => new WorkflowRegistry(definitions));

        Assert.Equal(2, ex.Errors.Count);
        Assert.All(ex.Errors, e => AssertErrorIn(e, ErrorCodes.DuplicateWorkflowId, "orders", "id", "'orders' is already registered"));
    }

    [Fact]
    public void AddCronflow_TwoInvalidWorkflows_ReportsProblemsOfBoth()
    {
        var first = Workflow.Define("one");
        var second = Workflow.Define("two");

        var ex = Assert.Throws<WorkflowDefinitionException>(() =>
            new ServiceCollection().AddCronflow(c => c.AddWorkflow(first).AddWorkflow(second)));

        Assert.Collection(
            ex.Errors,
            e => AssertErrorIn(e, ErrorCodes.EmptyWorkflow, "one", "root"),
            e => AssertErrorIn(e, ErrorCodes.EmptyWorkflow, "two", "root"));
    }

    // ---- CRONFLOW0003 duplicate step name -------------------------------------------------

    [Fact]
    public void Build_TwoStepsWithSameName_ReportsDuplicateStepName()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Step("a", _ => 2));

        AssertError(error, ErrorCodes.DuplicateStepName, "1", "The name 'a' is already used by the step at 0", "unique");
    }

    [Fact]
    public void Build_ActionWithNameOfStep_ReportsDuplicateStepName()
    {
        var error = SingleError(Workflow.Define(Id).Step("notify", _ => 1).Action("notify", _ => 2));

        AssertError(error, ErrorCodes.DuplicateStepName, "1", "'notify'", "at 0");
    }

    [Fact]
    public void Build_IfWithNameOfStep_ReportsDuplicateStepName()
    {
        var workflow = Workflow.Define(Id)
            .Step("check", _ => 1)
            .If("check", _ => true)
                .Step("b", _ => 2)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.DuplicateStepName, "1", "The name 'check' is already used by the step at 0");
    }

    [Fact]
    public void Build_ElseIfWithNameOfStep_ReportsDuplicateStepName()
    {
        var workflow = Workflow.Define(Id)
            .Step("medium", _ => 1)
            .If("high", _ => true)
                .Step("b", _ => 2)
            .ElseIf("medium", _ => true)
                .Step("c", _ => 3)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.DuplicateStepName, "1", "The name 'medium' is already used by the step at 0");
    }

    [Fact]
    public void Build_StepInIfBranchAndStepOutside_ReportsDuplicateStepName()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true)
                .Step("x", _ => 1)
            .EndIf()
            .Step("x", _ => 2);

        AssertError(SingleError(workflow), ErrorCodes.DuplicateStepName, "1", "The name 'x' is already used by the step at 0/b0/0");
    }

    [Fact]
    public void Build_SameStepNameInIfBranchAndElse_ReportsDuplicateStepName()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true)
                .Step("x", _ => 1)
            .Else()
                .Step("x", _ => 2)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.DuplicateStepName, "0/else/0", "'x'", "at 0/b0/0");
    }

    [Fact]
    public void Build_ParallelNamedLikeStep_ReportsDuplicateStepName()
    {
        var workflow = Workflow.Define(Id)
            .Step("fan", _ => 1)
            .Parallel(new ParallelOptions { Name = "fan" }, Branch, Branch);

        AssertError(SingleError(workflow), ErrorCodes.DuplicateStepName, "1", "'fan'", "at 0");
    }

    [Fact]
    public void Build_NamesDifferingOnlyInCase_Builds()
    {
        var definition = Workflow.Define(Id).Step("a", _ => 1).Step("A", _ => 2).Build();

        Assert.Equal(["a", "A"], definition.StepNames);
    }

    // ---- CRONFLOW0004 invalid step name ---------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a/b")]
    [InlineData("a#b")]
    public void Step_InvalidName_ReportsInvalidStepName(string name)
    {
        var error = SingleError(Workflow.Define(Id).Step(name, _ => 1));

        AssertError(error, ErrorCodes.InvalidStepName, "0", $"The name '{name}'", "1 to 100 characters", "without '/' or '#'");
    }

    [Fact]
    public void Step_NameLongerThan100Characters_ReportsInvalidStepName()
    {
        var name = new string('s', 101);

        var error = SingleError(Workflow.Define(Id).Step(name, _ => 1));

        AssertError(error, ErrorCodes.InvalidStepName, "0", "1 to 100 characters");
    }

    [Fact]
    public void Step_NullName_ReportsInvalidStepName()
    {
        var error = SingleError(Workflow.Define(Id).Step(null!, _ => 1));

        AssertError(error, ErrorCodes.InvalidStepName, "0", "A step has no name.");
    }

    [Fact]
    public void Action_NullName_ReportsInvalidStepName()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Action(null!, _ => 1));

        AssertError(error, ErrorCodes.InvalidStepName, "1", "An action has no name.");
    }

    [Fact]
    public void If_InvalidName_ReportsInvalidStepName()
    {
        var workflow = Workflow.Define(Id).If("a/b", _ => true).Step("x", _ => 1).EndIf();

        AssertError(SingleError(workflow), ErrorCodes.InvalidStepName, "0", "The name 'a/b'");
    }

    [Fact]
    public void ElseIf_InvalidName_ReportsInvalidStepNameAtIfPath()
    {
        var workflow = Workflow.Define(Id)
            .Step("first", _ => 0)
            .If("a", _ => true).Step("x", _ => 1)
            .ElseIf(" ", _ => true).Step("y", _ => 2)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.InvalidStepName, "1", "The name ' '");
    }

    [Fact]
    public void ParallelOptions_BlankName_ReportsInvalidStepName()
    {
        var workflow = Workflow.Define(Id).Parallel(new ParallelOptions { Name = "" }, Branch);

        AssertError(SingleError(workflow), ErrorCodes.InvalidStepName, "0", "The name ''");
    }

    [Fact]
    public void If_NullName_ReportsInvalidStepName()
    {
        var workflow = Workflow.Define(Id).If(null!, _ => true).Step("x", _ => 1).EndIf();

        AssertError(SingleError(workflow), ErrorCodes.InvalidStepName, "0");
    }

    [Fact]
    public void ElseIf_NullName_ReportsInvalidStepName()
    {
        var workflow = Workflow.Define(Id).If("a", _ => true).Step("x", _ => 1).ElseIf(null!, _ => true).Step("y", _ => 2).EndIf();

        AssertError(SingleError(workflow), ErrorCodes.InvalidStepName, "0");
    }

    [Fact]
    public void ForEach_NullName_ReportsInvalidStepName()
    {
        var workflow = Workflow.Define(Id).ForEach<int>(null!, _ => [1], (item, flow) => flow.Step("x", _ => item));

        AssertError(SingleError(workflow), ErrorCodes.InvalidStepName, "0");
    }

    // ---- CRONFLOW0023 invalid event name --------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("orders/created")]
    public void OnEvent_InvalidName_ReportsInvalidEventName(string eventName)
    {
        var error = SingleError(Workflow.Define(Id).OnEvent(eventName).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidEventName, $"event {eventName}", $"The event name '{eventName}' must be 1 to 200 characters without '/'.");
    }

    [Fact]
    public void OnEvent_NameLongerThan200Characters_ReportsInvalidEventName()
    {
        var eventName = new string('e', 201);

        var error = SingleError(Workflow.Define(Id).OnEvent(eventName).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidEventName, $"event {eventName}", "1 to 200 characters");
    }

    [Fact]
    public void OnEvent_SameNameTwice_IsRecordedOnce()
    {
        var definition = Workflow.Define(Id).OnEvent("order.created").OnEvent("order.created").OnEvent("order.paid").Step("a", _ => 1).Build();

        Assert.Equal(["order.created", "order.paid"], definition.Events);
    }
}
