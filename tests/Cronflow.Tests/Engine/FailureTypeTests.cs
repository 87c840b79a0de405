namespace Cronflow.Tests.Engine;

/// <summary>Every failure type a run reports is a real public exception type under <see cref="CronflowException"/>.</summary>
public sealed class FailureTypeTests
{
    [Fact]
    public void Catalogue_EveryErrorTypeTheEngineReports_IsPublicCronflowExceptionResolvableByName()
    {
        Assert.NotEmpty(RunErrors.Catalogue);
        foreach (var type in RunErrors.Catalogue)
        {
            var resolved = typeof(CronflowException).Assembly.GetType(type.FullName!);
            Assert.Same(type, resolved);
            Assert.True(type.IsPublic, $"{type} is not public");
            Assert.True(type.IsSubclassOf(typeof(CronflowException)), $"{type} does not derive from CronflowException");
            Assert.Same(type, RunErrors.Resolve(type.FullName!));
        }
    }

    [Theory]
    [InlineData("Cronflow.RaceFailedException")]
    [InlineData("Cronflow.SubflowFailedException")]
    [InlineData("Cronflow.MaxIterationsExceededException")]
    [InlineData("Cronflow.RunCancelledException")]
    [InlineData("Cronflow.BlockAbandonedException")]
    [InlineData("Cronflow.OrchestrationFailedException")]
    [InlineData("Cronflow.StepTimeoutException")]
    [InlineData("Cronflow.WorkflowVersionMismatchException")]
    public void ReportedErrorType_ByName_ResolvesToPublicTypeUnderRoot(string errorType)
    {
        var type = Type.GetType($"{errorType}, Cronflow.Core");

        Assert.NotNull(type);
        Assert.True(type.IsPublic);
        Assert.True(typeof(CronflowException).IsAssignableFrom(type));
        Assert.Contains(type, RunErrors.Catalogue);
    }

    [Fact]
    public void PublicExceptionTypes_OfCronflowCore_AllDeriveFromTheRoot()
    {
        var exceptions = typeof(CronflowException).Assembly.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();

        Assert.Contains(typeof(RaceFailedException), exceptions);
        Assert.All(exceptions, t => Assert.True(t == typeof(CronflowException) || t.IsSubclassOf(typeof(CronflowException)), $"{t} is outside the hierarchy"));
    }

    [Fact]
    public async Task Retry_FilterOnRaceFailedException_RetriesTheRace()
    {
        var wf = Workflow.Define("race-retry")
            .Race(
                new RaceOptions { Name = "gateways" },
                ctx => ctx.Attempt == 1 ? throw new HttpRequestException("primary down") : Task.FromResult<object?>("primary"),
                ctx => throw new InvalidOperationException("backup refused"))
            .Retry(2, null, typeof(RaceFailedException));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("primary", run.Output.As<string>());
        Assert.Equal(2, run.Step("gateways").Attempts);
    }

    [Fact]
    public async Task Retry_FilterOnMaxIterationsExceededException_RetriesTheLoop()
    {
        // A retried loop starts over from the value it began with; the body takes bigger steps after two calls, so the
        // first attempt exceeds its two iterations and the second ends within them.
        var calls = 0;
        var wf = Workflow.Define("loop-retry")
            .Step("start", ctx => 0)
            .While("count", ctx => ctx.Last.As<int>() < 3, ctx => Task.FromResult(ctx.Last.As<int>() + (Interlocked.Increment(ref calls) > 2 ? 2 : 1)), maxIterations: 2)
            .Retry(2, null, typeof(MaxIterationsExceededException));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(4, run.Output.As<int>());
        Assert.Equal(2, run.Step("count").Attempts);
    }

    [Fact]
    public async Task Retry_FilterOnRootType_MatchesEveryCronflowFailure()
    {
        var calls = 0;
        var wf = Workflow.Define("loop-retry-root")
            .Step("start", ctx => 0)
            .While("count", ctx => ctx.Last.As<int>() < 3, ctx => Task.FromResult(ctx.Last.As<int>() + (Interlocked.Increment(ref calls) > 2 ? 2 : 1)), maxIterations: 2)
            .Retry(2, null, typeof(CronflowException));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(2, run.Step("count").Attempts);
    }

    [Fact]
    public async Task Retry_FilterOnOtherType_DoesNotRetryAndRunReportsMaxIterationsExceeded()
    {
        var wf = Workflow.Define("loop-no-retry")
            .Step("start", ctx => 0)
            .While("count", ctx => ctx.Last.As<int>() < 3, ctx => Task.FromResult(ctx.Last.As<int>() + 1), maxIterations: 2)
            .Retry(2, null, typeof(RaceFailedException));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(typeof(MaxIterationsExceededException).FullName, run.Error!.ErrorType);
        Assert.Equal(ErrorCodes.MaxIterationsExceeded, run.Error.Code);
        Assert.Equal(1, run.Step("count").Attempts);
    }
}
