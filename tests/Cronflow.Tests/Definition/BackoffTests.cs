namespace Cronflow.Tests.Definition;

/// <summary>
/// The delays <see cref="Backoff"/> computes before each retry.
/// </summary>
public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(10, 2)]
    public void DelayBefore_Fixed_AlwaysTheDelay(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Fixed(TimeSpan.FromSeconds(2)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 6)]
    [InlineData(10, 20)]
    public void DelayBefore_Linear_GrowsByTheDelay(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Linear(TimeSpan.FromSeconds(2)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 5)]
    [InlineData(100, 5)]
    public void DelayBefore_LinearWithMax_CappedAtMax(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Linear(TimeSpan.FromSeconds(2), max: TimeSpan.FromSeconds(5)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(6, 64)]
    public void DelayBefore_Exponential_Doubles(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Exponential(TimeSpan.FromSeconds(2)).DelayBefore(retry));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 8)]
    [InlineData(4, 10)]
    [InlineData(5, 10)]
    [InlineData(1000, 10)]
    public void DelayBefore_ExponentialWithMax_CappedAtMax(int retry, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Exponential(TimeSpan.FromSeconds(2), max: TimeSpan.FromSeconds(10)).DelayBefore(retry));
    }

    [Fact]
    public void DelayBefore_ExponentialWithoutMaxManyRetries_SaturatesAtMaxValue()
    {
        Assert.Equal(TimeSpan.MaxValue, Backoff.Exponential(TimeSpan.FromSeconds(2)).DelayBefore(100));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void DelayBefore_RetryBelowOne_ThrowsArgumentOutOfRange(int retry)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Fixed(TimeSpan.FromSeconds(1)).DelayBefore(retry));

        Assert.Equal("retry", ex.ParamName);
        Assert.Equal((object)retry, ex.ActualValue);
    }

    [Fact]
    public void Backoff_Factories_SetKindDelayAndMax()
    {
        var backoff = Backoff.Exponential(TimeSpan.FromSeconds(2), max: TimeSpan.FromMinutes(1));

        Assert.Equal(BackoffKind.Exponential, backoff.Kind);
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Delay);
        Assert.Equal(TimeSpan.FromMinutes(1), backoff.Max);
        Assert.Null(Backoff.Fixed(TimeSpan.FromSeconds(1)).Max);
        Assert.Equal(BackoffKind.Linear, Backoff.Linear(TimeSpan.FromSeconds(1)).Kind);
    }
}
