using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// Definition errors about step options and limits: concurrency (CRONFLOW0013), timeout (CRONFLOW0014), retry
/// (CRONFLOW0015), a modifier without a step (CRONFLOW0016) and a duplicate modifier (CRONFLOW0017).
/// </summary>
public sealed class StepOptionValidationTests
{
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
}
