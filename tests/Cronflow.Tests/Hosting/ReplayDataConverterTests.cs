using System.Text.Json;
using Cronflow.Hosting;

namespace Cronflow.Tests.Hosting;

public sealed class ReplayDataConverterTests
{
    private readonly ReplayDataConverter _converter = new(CronflowJson.Options);

    [Fact]
    public void Deserialize_SameOutcomeStringTwice_ReturnsTheObjectReadFirst()
    {
        var data = _converter.Serialize(new StepOutcome { Path = "root/0", Output = JsonSerializer.SerializeToElement(new { n = 1 }) })!;

        var first = (StepOutcome)_converter.Deserialize(data, typeof(StepOutcome))!;
        var second = _converter.Deserialize(data, typeof(StepOutcome));

        Assert.Same(first, second);
        Assert.Equal("root/0", first.Path);
        Assert.Equal(1, first.Output!.Value.GetProperty("n").GetInt32());
    }

    [Fact]
    public void Deserialize_EqualOutcomeInAnotherString_ReadsItAgain()
    {
        var data = _converter.Serialize(new StepOutcome { Path = "root/0" })!;
        var copy = new string(data.AsSpan());

        var first = _converter.Deserialize(data, typeof(StepOutcome));
        var second = _converter.Deserialize(copy, typeof(StepOutcome));

        Assert.NotSame(first, second);
        Assert.Equal("root/0", Assert.IsType<StepOutcome>(second).Path);
    }

    [Fact]
    public void Deserialize_SameRunInputStringTwice_ReturnsTheObjectReadFirst()
    {
        var data = _converter.Serialize(new RunInput { WorkflowId = "orders", Payload = JsonSerializer.SerializeToElement(new { id = 7 }) })!;

        var first = (RunInput)_converter.Deserialize(data, typeof(RunInput))!;
        var second = _converter.Deserialize(data, typeof(RunInput));

        Assert.Same(first, second);
        Assert.Equal("orders", first.WorkflowId);
        Assert.Equal(7, first.Payload!.Value.GetProperty("id").GetInt32());
    }

    [Fact]
    public void Deserialize_LongString_ReadsItAgainEachTime()
    {
        var data = _converter.Serialize(new RunInput { WorkflowId = "orders", Payload = JsonSerializer.SerializeToElement(new string('x', ReplayDataConverter.MaxKeptLength)) })!;

        var first = _converter.Deserialize(data, typeof(RunInput));
        var second = _converter.Deserialize(data, typeof(RunInput));

        Assert.NotSame(first, second);
        Assert.Equal(ReplayDataConverter.MaxKeptLength, Assert.IsType<RunInput>(second).Payload!.Value.GetString()!.Length);
    }

    [Fact]
    public void Deserialize_GateOrLoopInput_ReadsItAgainEachTime()
    {
        // Both build their next execution's input from the one they were given.
        var gate = _converter.Serialize(new RunInput { WorkflowId = "orders", Gate = new GateState { Running = ["a"] } })!;
        var loop = _converter.Serialize(new RunInput { WorkflowId = "orders", Loop = new LoopInput { Path = "root/1", RunId = "r" } })!;

        Assert.NotSame(_converter.Deserialize(gate, typeof(RunInput)), _converter.Deserialize(gate, typeof(RunInput)));
        Assert.NotSame(_converter.Deserialize(loop, typeof(RunInput)), _converter.Deserialize(loop, typeof(RunInput)));
    }

    [Fact]
    public void Deserialize_OtherType_ReadsItAgainEachTime()
    {
        var data = _converter.Serialize(new RunResult { Status = RunStatus.Completed })!;

        var first = _converter.Deserialize(data, typeof(RunResult));
        var second = _converter.Deserialize(data, typeof(RunResult));

        Assert.NotSame(first, second);
        Assert.Equal(RunStatus.Completed, Assert.IsType<RunResult>(second).Status);
    }

    [Fact]
    public void Deserialize_StringReadBeforeAsAnotherType_ReadsItAsTheAskedType()
    {
        var data = _converter.Serialize(new StepOutcome { Path = "root/0" })!;

        _ = _converter.Deserialize(data, typeof(StepOutcome));
        var input = _converter.Deserialize(data, typeof(RunInput));

        Assert.IsType<RunInput>(input);
    }

    [Fact]
    public void Deserialize_Null_IsNull() =>
        Assert.Null(_converter.Deserialize(null, typeof(StepOutcome)));
}
