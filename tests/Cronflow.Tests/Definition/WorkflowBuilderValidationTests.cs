using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Definition;

/// <summary>
/// One or more tests per definition error code (CRONFLOW0001–CRONFLOW0025). Codes 0022 (unknown subflow) and
/// 0024 (invalid while) belong to node kinds the builder does not offer yet and have no test here.
/// </summary>
public sealed class WorkflowBuilderValidationTests
{
    private const string Id = "wf";

    private static Task<object?> Branch(StepContext context) => Task.FromResult<object?>(1);

    private static IReadOnlyList<DefinitionError> Errors(IWorkflowBuilder workflow) =>
        Assert.Throws<WorkflowDefinitionException>(() => workflow.Build()).Errors;

    private static DefinitionError SingleError(IWorkflowBuilder workflow) => Assert.Single(Errors(workflow));

    private static void AssertError(DefinitionError error, string code, string path, params string[] words) =>
        AssertErrorIn(error, code, Id, path, words);

    private static void AssertErrorIn(DefinitionError error, string code, string workflowId, string path, params string[] words)
    {
        Assert.Equal(code, error.Code);
        Assert.Equal(workflowId, error.WorkflowId);
        Assert.Equal(path, error.Path);
        foreach (var word in words)
        {
            Assert.Contains(word, error.Message, StringComparison.Ordinal);
        }
    }

    // ---- CRONFLOW0001 invalid workflow id -------------------------------------------------

    [Fact]
    public void Build_EmptyId_ReportsInvalidWorkflowId()
    {
        var error = SingleError(Workflow.Define("").Step("a", _ => 1));

        AssertErrorIn(error, ErrorCodes.InvalidWorkflowId, "", "id", "The workflow id ''", "1 to 100 letters, digits, '-', '_' or '.'");
    }

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

    // ---- CRONFLOW0013 invalid concurrency -------------------------------------------------

    [Fact]
    public void Parallel_MaxConcurrencyZero_ReportsInvalidConcurrency()
    {
        var error = SingleError(Workflow.Define(Id).Parallel(new ParallelOptions { MaxConcurrency = 0 }, Branch, Branch));

        AssertError(error, ErrorCodes.InvalidConcurrency, "0", "MaxConcurrency is 0; it must be at least 1.");
    }

    [Fact]
    public void ForEach_MaxConcurrencyZero_ReportsInvalidConcurrency()
    {
        var workflow = Workflow.Define(Id)
            .ForEach("each", _ => new[] { 1 }, (item, flow) => flow.Step("x", _ => item), new ForEachOptions { MaxConcurrency = 0 });

        AssertError(SingleError(workflow), ErrorCodes.InvalidConcurrency, "0", "MaxConcurrency is 0; it must be at least 1.");
    }

    [Fact]
    public void ForEach_ChunkSizeZero_ReportsInvalidConcurrency()
    {
        var workflow = Workflow.Define(Id)
            .ForEach("each", _ => new[] { 1 }, (item, flow) => flow.Step("x", _ => item), new ForEachOptions { ChunkSize = 0 });

        AssertError(SingleError(workflow), ErrorCodes.InvalidConcurrency, "0", "ChunkSize is 0; it must be at least 1.");
    }

    [Fact]
    public void WorkflowOptions_NegativeConcurrency_ReportsInvalidConcurrency()
    {
        var error = SingleError(Workflow.Define(Id, o => o.Concurrency = -1).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidConcurrency, "options", "Concurrency is -1; it must be at least 1.");
    }

    // ---- CRONFLOW0014 invalid timeout -----------------------------------------------------

    [Fact]
    public void Timeout_Zero_ReportsInvalidTimeout()
    {
        var error = SingleError(Workflow.Define(Id).Step("fetch", _ => 1).Timeout(TimeSpan.Zero));

        AssertError(error, ErrorCodes.InvalidTimeout, "0", "The timeout of 'fetch' is 00:00:00; it must be positive.");
    }

    [Fact]
    public void ParallelOptions_NegativeTimeout_ReportsInvalidTimeout()
    {
        var workflow = Workflow.Define(Id)
            .Step("a", _ => 1)
            .Parallel(new ParallelOptions { Timeout = TimeSpan.FromSeconds(-1) }, Branch);

        AssertError(SingleError(workflow), ErrorCodes.InvalidTimeout, "1", "The parallel block's timeout is -00:00:01; it must be positive.");
    }

    [Fact]
    public void RaceOptions_ZeroTimeout_ReportsInvalidTimeout()
    {
        var error = SingleError(Workflow.Define(Id).Race(new RaceOptions { Timeout = TimeSpan.Zero }, Branch));

        AssertError(error, ErrorCodes.InvalidTimeout, "0", "The race's timeout is 00:00:00");
    }

    [Fact]
    public void WorkflowOptions_ZeroTimeout_ReportsInvalidTimeout()
    {
        var error = SingleError(Workflow.Define(Id, o => o.Timeout = TimeSpan.Zero).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidTimeout, "options", "The workflow timeout is 00:00:00; it must be positive.");
    }

    [Fact]
    public void Timeout_AfterUnnamedParallel_NamesBlockByKindAndPath()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Parallel(Branch).Timeout(TimeSpan.FromSeconds(-5)));

        AssertError(error, ErrorCodes.InvalidTimeout, "1", "The timeout of 'parallel at 1' is -00:00:05");
    }

    // ---- CRONFLOW0015 invalid retry -------------------------------------------------------

    [Fact]
    public void Retry_ZeroAttempts_ReportsInvalidRetry()
    {
        var error = SingleError(Workflow.Define(Id).Step("fetch", _ => 1).Retry(0));

        AssertError(error, ErrorCodes.InvalidRetry, "0", "Retry of 'fetch' has 0 attempts; it needs at least 1.");
    }

    [Fact]
    public void Retry_NegativeBackoff_ReportsInvalidRetry()
    {
        var error = SingleError(Workflow.Define(Id).Step("fetch", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(-1))));

        AssertError(error, ErrorCodes.InvalidRetry, "0", "Retry of 'fetch' has a negative backoff delay.");
    }

    [Fact]
    public void Retry_NegativeBackoffMax_ReportsInvalidRetry()
    {
        var error = SingleError(Workflow.Define(Id).Step("fetch", _ => 1)
            .Retry(3, Backoff.Exponential(TimeSpan.FromSeconds(1), max: TimeSpan.FromSeconds(-1))));

        AssertError(error, ErrorCodes.InvalidRetry, "0", "negative backoff delay");
    }

    [Fact]
    public void Retry_RetryOnTypeNotAnException_ReportsInvalidRetry()
    {
        var error = SingleError(Workflow.Define(Id).Step("fetch", _ => 1).Retry(3, null, typeof(string)));

        AssertError(error, ErrorCodes.InvalidRetry, "0", "Retry of 'fetch' lists a type that is not an exception.");
    }

    // ---- CRONFLOW0016 modifier without step -----------------------------------------------

    [Fact]
    public void OnError_FirstCall_ReportsModifierWithoutStep()
    {
        var error = SingleError(Workflow.Define(Id).OnError(_ => 0).Step("a", _ => 1));

        AssertError(error, ErrorCodes.ModifierWithoutStep, "0", "OnError has no step or block before it to apply to.");
    }

    [Fact]
    public void Retry_FirstCall_ReportsModifierWithoutStep()
    {
        var error = SingleError(Workflow.Define(Id).Retry(3).Step("a", _ => 1));

        AssertError(error, ErrorCodes.ModifierWithoutStep, "0", "Retry has no step or block before it");
    }

    [Fact]
    public void Timeout_AfterOnlyTriggers_ReportsModifierWithoutStep()
    {
        var error = SingleError(Workflow.Define(Id).OnEvent("order.created").Timeout(TimeSpan.FromSeconds(1)).Step("a", _ => 1));

        AssertError(error, ErrorCodes.ModifierWithoutStep, "0", "Timeout has no step or block before it");
    }

    [Fact]
    public void OnError_RightAfterIf_ReportsModifierWithoutStep()
    {
        var workflow = Workflow.Define(Id)
            .Step("a", _ => 1)
            .If("cond", _ => true).OnError(_ => 0)
                .Step("b", _ => 2)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.ModifierWithoutStep, "1/b0/0", "OnError has no step or block before it");
    }

    [Fact]
    public void Retry_RightAfterIf_ReportsModifierWithoutStep()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true).Retry(2)
                .Step("b", _ => 2)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.ModifierWithoutStep, "0/b0/0", "Retry has no step or block before it");
    }

    [Fact]
    public void Timeout_RightAfterElse_ReportsModifierWithoutStep()
    {
        var workflow = Workflow.Define(Id)
            .If("cond", _ => true).Step("a", _ => 1)
            .Else().Timeout(TimeSpan.FromSeconds(1)).Step("b", _ => 2)
            .EndIf();

        AssertError(SingleError(workflow), ErrorCodes.ModifierWithoutStep, "0/else/0", "Timeout has no step or block before it");
    }

    [Fact]
    public void Retry_AfterEndIf_AppliesToTheIfBlock()
    {
        var definition = Workflow.Define(Id)
            .If("cond", _ => true).Step("a", _ => 1).EndIf().Retry(2)
            .Build();

        Assert.Equal(2, definition.Nodes[0].Policy.Retry!.Attempts);
    }

    // ---- CRONFLOW0017 duplicate modifier --------------------------------------------------

    [Fact]
    public void Retry_Twice_ReportsDuplicateModifier()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Retry(3).Retry(2));

        AssertError(error, ErrorCodes.DuplicateModifier, "0", "'a' already has a Retry.");
    }

    [Fact]
    public void Timeout_Twice_ReportsDuplicateModifier()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).Timeout(TimeSpan.FromSeconds(1)).Timeout(TimeSpan.FromSeconds(2)));

        AssertError(error, ErrorCodes.DuplicateModifier, "0", "'a' already has a Timeout.");
    }

    [Fact]
    public void OnError_Twice_ReportsDuplicateModifier()
    {
        var error = SingleError(Workflow.Define(Id).Step("a", _ => 1).OnError(_ => 1).OnError(_ => 2));

        AssertError(error, ErrorCodes.DuplicateModifier, "0", "'a' already has an OnError handler.");
    }

    [Fact]
    public void Modifiers_OnePerKind_Builds()
    {
        var definition = Workflow.Define(Id)
            .Step("a", _ => 1).Retry(3, Backoff.Fixed(TimeSpan.FromSeconds(1))).Timeout(TimeSpan.FromSeconds(30)).OnError(_ => 0)
            .Build();

        var policy = definition.Nodes[0].Policy;
        Assert.Equal(3, policy.Retry!.Attempts);
        Assert.Equal(Backoff.Fixed(TimeSpan.FromSeconds(1)), policy.Retry.Backoff);
        Assert.Equal(TimeSpan.FromSeconds(30), policy.Timeout);
        Assert.NotNull(policy.OnError);
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

    // ---- CRONFLOW0020 invalid schedule ----------------------------------------------------

    [Theory]
    [InlineData("0 2 * *", 4)]
    [InlineData("0 0 2 * * * 2024", 7)]
    [InlineData("", 0)]
    public void OnSchedule_WrongFieldCount_ReportsInvalidSchedule(string cron, int fields)
    {
        var error = SingleError(Workflow.Define(Id).OnSchedule(cron).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' has {fields} fields; it needs 5 (minute precision) or 6 (with seconds).");
    }

    [Theory]
    [InlineData("61 * * * *")]
    [InlineData("0 2 * * mon-xyz")]
    [InlineData("a b c d e")]
    public void OnSchedule_BadSyntax_ReportsInvalidSchedule(string cron)
    {
        var error = SingleError(Workflow.Define(Id).OnSchedule(cron).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' is invalid:");
    }

    [Fact]
    public void OnSchedule_UnknownTimeZone_ReportsInvalidSchedule()
    {
        var error = SingleError(Workflow.Define(Id).OnSchedule("0 2 * * *", "Mars/Olympus_Mons").Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, "schedule 0 2 * * *", "The time zone 'Mars/Olympus_Mons' is not known on this machine.");
    }

    [Theory]
    [InlineData(999)]
    [InlineData(0)]
    [InlineData(-1000)]
    public void OnInterval_BelowOneSecond_ReportsInvalidSchedule(int milliseconds)
    {
        var interval = TimeSpan.FromMilliseconds(milliseconds);

        var error = SingleError(Workflow.Define(Id).OnInterval(interval).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, $"interval {interval}", $"The interval {interval} is shorter than one second.");
    }

    [Fact]
    public void OnSchedule_ValidCronsAndInterval_Builds()
    {
        var definition = Workflow.Define(Id)
            .OnSchedule("0 2 * * *")
            .OnSchedule("*/30 * * * * *")
            .OnSchedule("0 9 * * MON-FRI", "Europe/Paris")
            .OnInterval(TimeSpan.FromSeconds(1))
            .Step("a", _ => 1)
            .Build();

        Assert.Equal(
            ["cron:0 2 * * *@UTC", "cron:*/30 * * * * *@UTC", "cron:0 9 * * MON-FRI@Europe/Paris", "every:1s"],
            definition.Schedules.Select(s => s.Key));
    }

    // ---- CRONFLOW0021 invalid webhook -----------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("  ")]
    public void OnWebhook_EmptyPath_ReportsInvalidWebhook(string path)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, $"webhook {path}", "The webhook path is empty.");
    }

    [Theory]
    [InlineData("/runs", "runs")]
    [InlineData("/runs/{id}/x", "runs")]
    [InlineData("/Workflows/orders", "Workflows")]
    [InlineData("/health", "health")]
    [InlineData("/events/x", "events")]
    [InlineData("/resume", "resume")]
    [InlineData("/Dashboard/hook", "Dashboard")]
    public void OnWebhook_PathCollidingWithManagementRoute_ReportsInvalidWebhook(string path, string segment)
    {
        var errors = Errors(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        Assert.Contains(errors, e => e.Code == ErrorCodes.InvalidWebhook && e.Path == $"webhook {path}" &&
            e.Message.Contains($"collides with the management route /api/{segment}", StringComparison.Ordinal));
    }

    [Fact]
    public void OnWebhook_PathCollidingWithRuns_ReportsInvalidWebhook()
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook("/runs").Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, "webhook /runs", "The webhook path '/runs' collides with the management route /api/runs");
    }

    [Theory]
    [InlineData("/api/orders")]
    [InlineData("api/orders")]
    [InlineData("/API")]
    public void OnWebhook_PathStartingWithApi_ReportsInvalidWebhook(string path)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, $"webhook {path}", "must not start with /api", "register it without the prefix");
    }

    [Theory]
    [InlineData("/hooks/a b")]
    [InlineData("/hooks/a?b")]
    [InlineData("/hooks/{id}")]
    [InlineData("/hooks/*")]
    public void OnWebhook_PathWithForbiddenCharacter_ReportsInvalidWebhook(string path)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, $"webhook {path}", "contains a character that is not allowed");
    }

    [Theory]
    [InlineData("FETCH")]
    [InlineData("")]
    [InlineData(null)]
    public void OnWebhook_BadMethod_ReportsInvalidWebhook(string? method)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook("/webhooks/orders", w => w.Method = method!).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, "webhook /webhooks/orders", $"The webhook method '{method}' is not one of GET, POST, PUT, PATCH, DELETE.");
    }

    [Fact]
    public void OnWebhook_ZeroMaxBodyBytesAndEmptySecret_ReportsBothProblems()
    {
        var errors = Errors(Workflow.Define(Id)
            .OnWebhook("/webhooks/orders", w => { w.MaxBodyBytes = 0; w.Secret = ""; })
            .Step("a", _ => 1));

        Assert.Collection(
            errors,
            e => AssertError(e, ErrorCodes.InvalidWebhook, "webhook /webhooks/orders", "MaxBodyBytes is 0; it must be positive."),
            e => AssertError(e, ErrorCodes.InvalidWebhook, "webhook /webhooks/orders", "The webhook secret is empty"));
    }

    [Fact]
    public void OnWebhook_ValidPath_IsNormalised()
    {
        var definition = Workflow.Define(Id)
            .OnWebhook("webhooks/orders/", w => w.Method = "put")
            .Step("a", _ => 1)
            .Build();

        var webhook = Assert.Single(definition.Webhooks);
        Assert.Equal("/webhooks/orders", webhook.Path);
        Assert.Equal("put", webhook.Options.Method);
    }

    [Fact]
    public void AddCronflow_SameWebhookRouteInTwoWorkflows_ReportsInvalidWebhook()
    {
        var first = Workflow.Define("first").OnWebhook("/webhooks/orders").Step("a", _ => 1);
        var second = Workflow.Define("second").OnWebhook("/webhooks/orders/", w => w.Method = "post").Step("a", _ => 1);

        var ex = Assert.Throws<WorkflowDefinitionException>(() =>
            new ServiceCollection().AddCronflow(c => c.AddWorkflow(first).AddWorkflow(second)));

        var error = Assert.Single(ex.Errors);
        AssertErrorIn(error, ErrorCodes.InvalidWebhook, "second", "webhook /webhooks/orders",
            "The webhook route POST /webhooks/orders is already registered by workflow 'first'.");
    }

    [Fact]
    public void AddCronflow_SameWebhookPathWithDifferentMethods_Registers()
    {
        var first = Workflow.Define("first").OnWebhook("/webhooks/orders").Step("a", _ => 1);
        var second = Workflow.Define("second").OnWebhook("/webhooks/orders", w => w.Method = "PUT").Step("a", _ => 1);

        var services = new ServiceCollection().AddCronflow(c => c.AddWorkflow(first).AddWorkflow(second));

        Assert.Contains(services, d => d.ServiceType == typeof(WorkflowRegistry));
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

    // ---- all errors at once ---------------------------------------------------------------

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
