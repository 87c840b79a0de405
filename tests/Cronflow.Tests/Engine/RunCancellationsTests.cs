namespace Cronflow.Tests.Engine;

public sealed class RunCancellationsTests
{
    [Fact]
    public void Cancel_StepThatReadItsToken_TokenFires()
    {
        var runs = new RunCancellations();
        using var step = new StepCancellation(runs, "r1", null, CancellationToken.None);
        var token = step.Token;

        runs.Cancel("r1");

        Assert.True(token.IsCancellationRequested);
    }

    [Fact]
    public void Token_ReadAfterRunWasCancelled_IsAlreadyCancelled()
    {
        var runs = new RunCancellations();
        using var step = new StepCancellation(runs, "r1", null, CancellationToken.None);

        runs.Cancel("r1");

        Assert.True(step.Token.IsCancellationRequested);
    }

    [Fact]
    public void Cancel_OtherRun_TokenDoesNotFire()
    {
        var runs = new RunCancellations();
        using var step = new StepCancellation(runs, "r1", null, CancellationToken.None);
        var token = step.Token;

        runs.Cancel("r2");

        Assert.False(token.IsCancellationRequested);
    }

    [Fact]
    public void Token_StepTimeoutFires_TokenFires()
    {
        var runs = new RunCancellations();
        using var timeout = new CancellationTokenSource();
        using var step = new StepCancellation(runs, "r1", timeout, CancellationToken.None);
        var token = step.Token;

        timeout.Cancel();

        Assert.True(token.IsCancellationRequested);
    }

    [Fact]
    public void Token_ReadAfterStepEnded_IsCancelled()
    {
        var runs = new RunCancellations();
        var step = new StepCancellation(runs, "r1", null, CancellationToken.None);

        step.Dispose();

        Assert.True(step.Token.IsCancellationRequested);
    }

    [Fact]
    public void Cancel_MoreRunsThanRemembered_OldestIsForgotten()
    {
        var runs = new RunCancellations();
        for (var i = 0; i <= RunCancellations.RememberedRuns; i++)
        {
            runs.Cancel($"r{i}");
        }

        using var oldest = new StepCancellation(runs, "r0", null, CancellationToken.None);
        using var newest = new StepCancellation(runs, $"r{RunCancellations.RememberedRuns}", null, CancellationToken.None);

        Assert.False(oldest.Token.IsCancellationRequested);
        Assert.True(newest.Token.IsCancellationRequested);
    }
}
