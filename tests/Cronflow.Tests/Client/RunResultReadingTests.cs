using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cronflow.Tests.Client;

/// <summary>How clients read a finished run's result: <see cref="RunInfoMapper.ReadResult"/> and the step records built when read (<see cref="StepRecordsJsonConverter"/>).</summary>
public sealed class RunResultReadingTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Read_RunResult_BuildsRecordsWhenFirstRead()
    {
        var json = JsonSerializer.Serialize(new RunResult { Status = RunStatus.Completed, Steps = [Record("a", 1), Record("b", 2)] }, CronflowJson.Options);

        var result = JsonSerializer.Deserialize<RunResult>(json, CronflowJson.Options)!;

        var records = Assert.IsType<JsonStepRecords>(result.Steps);
        Assert.True(records.IsUnread);
        Assert.Equal(2, records.Count);
        Assert.False(records.IsUnread);
        Assert.Equal(Record("a", 1) with { Output = null }, records[0] with { Output = null });
        Assert.Equal(2, records[1].Output!["n"].As<int>());
        Assert.Equal(At, records[1].CompletedAt);
        var first = records[0];
        Assert.Same(first, records[0]);
    }

    [Fact]
    public void Write_RecordsReadAndNeverTouched_WritesTheJsonTheyWereReadFrom()
    {
        var json = JsonSerializer.Serialize(new RunResult { Status = RunStatus.Failed, Steps = [Record("a", 1)] }, CronflowJson.Options);
        var read = JsonSerializer.Deserialize<RunResult>(json, CronflowJson.Options)!;

        var again = JsonSerializer.Serialize(read, CronflowJson.Options);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(again)), again);
        Assert.True(((JsonStepRecords)read.Steps).IsUnread);
    }

    [Fact]
    public void Write_RecordsAlreadyBuilt_WritesTheSameJson()
    {
        var json = JsonSerializer.Serialize(new RunResult { Status = RunStatus.Completed, Steps = [Record("a", 1), Record("b", 2)] }, CronflowJson.Options);
        var read = JsonSerializer.Deserialize<RunResult>(json, CronflowJson.Options)!;
        _ = read.Steps.Count;

        Assert.Equal(json, JsonSerializer.Serialize(read, CronflowJson.Options));
    }

    [Theory]
    [InlineData("""{"status":"Completed","steps":null}""")]
    [InlineData("""{"status":"Completed"}""")]
    public void Read_StepsNullOrMissing_GivesNoRecords(string json) =>
        Assert.Empty(JsonSerializer.Deserialize<RunResult>(json, CronflowJson.Options)!.Steps);

    [Fact]
    public void Read_StepsNotAnArray_Throws() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RunResult>("""{"status":"Completed","steps":{"name":"a"}}""", CronflowJson.Options));

    [Fact]
    public void ReadResult_EveryPropertySet_ReadsEachAsTheSerializerWroteIt()
    {
        var written = new RunResult
        {
            Status = RunStatus.Failed,
            Output = FlowValue.From(new { n = 7 }).Json,
            Error = new StepError { Message = "boom", ErrorType = "System.InvalidOperationException", Step = "a" },
            Steps = [Record("a", 1)],
            CompletedAt = At,
        };

        // Every property the result has: one that ReadResult does not read would come back with its default.
        var properties = typeof(RunResult).GetProperties();
        Assert.Equal(5, properties.Length);

        var read = RunInfoMapper.ReadResult(JsonSerializer.Serialize(written, CronflowJson.Options))!;

        Assert.Equal(written.Status, read.Status);
        Assert.Equal(7, FlowValue.FromOwned(read.Output)["n"].As<int>());
        Assert.Equal(written.Error, read.Error);
        Assert.Equal(written.Steps.Select(s => s with { Output = null }), read.Steps.Select(s => s with { Output = null }));
        Assert.Equal(written.CompletedAt, read.CompletedAt);
    }

    [Fact]
    public void ReadResult_Records_KeptAsTheirJsonUntilFirstRead()
    {
        var json = JsonSerializer.Serialize(new RunResult { Status = RunStatus.Completed, Steps = [Record("a", 1), Record("b", 2)] }, CronflowJson.Options);

        var read = RunInfoMapper.ReadResult(json)!;

        var records = Assert.IsType<JsonStepRecords>(read.Steps);
        Assert.True(records.IsUnread);
        Assert.Equal(json, JsonSerializer.Serialize(read, CronflowJson.Options));
        Assert.Equal(["a", "b"], records.Select(r => r.Name));
        Assert.Equal(2, records[1].Output!["n"].As<int>());
        Assert.False(records.IsUnread);
        Assert.Equal(json, JsonSerializer.Serialize(read, CronflowJson.Options));
    }

    [Theory]
    [InlineData("""{"status":"Cancelled","steps":null,"future":{"a":[1,2,{"b":null}]}}""")]
    [InlineData("""{"future":[{"steps":[1]}],"status":"Cancelled","steps":{"name":"a"}}""")]
    [InlineData(""" { "status" : "Cancelled" } """)]
    public void ReadResult_OtherPropertiesOrRecordsNotAnArray_PassedOver(string json)
    {
        var read = RunInfoMapper.ReadResult(json)!;

        Assert.Equal(RunStatus.Cancelled, read.Status);
        Assert.Empty(read.Steps);
        Assert.Null(read.Output);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("\"the run was terminated\"")]
    [InlineData("{\"status\":")]
    [InlineData("{\"status\":\"NoSuchStatus\"}")]
    [InlineData("{\"status\":\"Completed\"} {}")]
    [InlineData("{\"status\":\"Completed\",\"steps\":[{\"name\":\"a\"}")]
    [InlineData("[{\"status\":\"Completed\"}]")]
    public void ReadResult_NotAResult_GivesNull(string? json) => Assert.Null(RunInfoMapper.ReadResult(json));

    private static StepRecord Record(string name, int n) => new()
    {
        Name = name,
        Path = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Status = StepStatus.Completed,
        Attempts = 1,
        StartedAt = At,
        CompletedAt = At,
        Output = FlowValue.From(new { n }),
    };
}
