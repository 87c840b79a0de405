using System.Text.Json;

namespace Cronflow.Tests.Engine;

/// <summary>What the step records keep for a run's timeline: each attempt, each lane of a block, a for-each's items.</summary>
public sealed class StepTimelineTests
{
    [Fact]
    public async Task Tries_StepRetriedThreeTimes_KeepsEachAttemptInOrderWithTheErrorsOfTheFailedOnes()
    {
        var wf = Workflow.Define("tries-three")
            .Step("flaky", ctx => ctx.Attempt < 3 ? throw new HttpRequestException($"attempt {ctx.Attempt} failed") : "ok")
            .Retry(3, Backoff.Fixed(TimeSpan.FromMilliseconds(20)));

        var run = await wf.TestAsync(null);

        var flaky = run.Step("flaky");
        Assert.Equal(StepStatus.Completed, flaky.Status);
        var tries = Assert.IsAssignableFrom<IReadOnlyList<StepAttempt>>(flaky.Tries);
        Assert.Equal([1, 2, 3], tries.Select(t => t.Number));
        Assert.Equal(["attempt 1 failed", "attempt 2 failed", null], tries.Select(t => t.Error?.Message));
        Assert.Equal(flaky.StartedAt, tries[0].StartedAt);
        Assert.Equal(flaky.CompletedAt, tries[^1].CompletedAt);
        for (var i = 0; i < tries.Count; i++)
        {
            Assert.True(tries[i].CompletedAt >= tries[i].StartedAt, $"attempt {i + 1} ends before it starts");
            if (i > 0)
            {
                // The backoff lies between two attempts: each starts after the one before it ended.
                Assert.True(tries[i].StartedAt > tries[i - 1].CompletedAt, $"attempt {i + 1} starts before attempt {i} ended");
            }
        }
    }

    [Fact]
    public async Task Tries_AttemptsExhausted_EveryAttemptFailedAndTheLastCarriesTheStepError()
    {
        var wf = Workflow.Define("tries-exhausted")
            .Step("always-fails", ctx => (object)(ctx.Attempt > 0 ? throw new HttpRequestException($"attempt {ctx.Attempt}") : 0))
            .Retry(2, Backoff.Fixed(TimeSpan.FromMilliseconds(5)));

        var run = await wf.TestAsync(null);

        var step = run.Step("always-fails");
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(["attempt 1", "attempt 2"], step.Tries!.Select(t => t.Error?.Message));
        Assert.All(step.Tries!, t => Assert.NotNull(t.CompletedAt));
        Assert.Equal(step.Error!.Message, step.Tries![^1].Error!.Message);
    }

    [Fact]
    public async Task Tries_StepRanOnce_KeepsNoAttemptsAndWritesNoTriesInJson()
    {
        var wf = Workflow.Define("tries-once")
            .Step("steady", _ => "ok")
            .Retry(3);

        var run = await wf.TestAsync(null);

        var step = run.Step("steady");
        Assert.Equal(1, step.Attempts);
        Assert.Null(step.Tries);
        var json = JsonSerializer.Serialize(step, CronflowJson.Options);
        Assert.DoesNotContain("\"tries\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"lanes\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"items\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tries_MoreAttemptsThanTheCap_KeepsTheLastOnes()
    {
        var wf = Workflow.Define("tries-capped")
            .Step("stubborn", ctx => ctx.Attempt < 25 ? throw new HttpRequestException($"attempt {ctx.Attempt}") : "finally")
            .Retry(25);

        var run = await wf.TestAsync(null);

        var step = run.Step("stubborn");
        Assert.Equal(25, step.Attempts);
        Assert.Equal(Enumerable.Range(25 - StepRecord.MaxTries + 1, StepRecord.MaxTries), step.Tries!.Select(t => t.Number));
        Assert.Null(step.Tries![^1].Error);
    }

    [Fact]
    public async Task Tries_RoundTripThroughJson_KeepEveryField()
    {
        var wf = Workflow.Define("tries-json")
            .Step("flaky", ctx => ctx.Attempt < 2 ? throw new HttpRequestException("first failed") : "ok")
            .Retry(2);

        var run = await wf.TestAsync(null);

        var record = run.Step("flaky");
        var back = JsonSerializer.Deserialize<StepRecord>(JsonSerializer.Serialize(record, CronflowJson.Options), CronflowJson.Options)!;
        Assert.Equal(record.Tries!, back.Tries!);
    }

    [Fact]
    public async Task Lanes_ParallelBlock_OneLanePerBranchWithItsOwnTimes()
    {
        var wf = Workflow.Define("lanes-parallel")
            .Parallel(
                new ParallelOptions { Name = "fan-out" },
                async ctx => { await Task.Yield(); return "a"; },
                _ => Task.FromResult<object?>("b"),
                _ => Task.FromResult<object?>("c"));

        var run = await wf.TestAsync(null);

        var block = run.Step("fan-out");
        var lanes = block.Lanes!;
        Assert.Equal(["fan-out[0]", "fan-out[1]", "fan-out[2]"], lanes.Select(l => l.Name));
        Assert.Equal([0, 1, 2], lanes.Select(l => l.Index));
        Assert.All(lanes, l => Assert.Equal(StepStatus.Completed, l.Status));
        Assert.All(lanes, l => Assert.True(l.StartedAt >= block.StartedAt && l.CompletedAt >= l.StartedAt && l.CompletedAt <= block.CompletedAt));
        Assert.DoesNotContain(lanes, l => l.Won);
        Assert.Null(block.Items);
    }

    [Fact]
    public async Task Lanes_ParallelBranchFails_ItsLaneFailedAndTheAbandonedOneSkipped()
    {
        var wf = Workflow.Define("lanes-parallel-fails")
            .Parallel(
                new ParallelOptions { Name = "checks" },
                _ => throw new InvalidOperationException("check failed"),
                async ctx =>
                {
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                    return "never";
                });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        var lanes = run.Step("checks").Lanes!;
        Assert.Equal([StepStatus.Failed, StepStatus.Skipped], lanes.Select(l => l.Status));
        Assert.NotNull(lanes[0].CompletedAt);
        Assert.Null(lanes[1].CompletedAt);
    }

    [Fact]
    public async Task Lanes_Race_TheWinnerMarkedAndTheLoserSkipped()
    {
        var wf = Workflow.Define("lanes-race")
            .Race(
                new RaceOptions { Name = "gateways" },
                async ctx =>
                {
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                    return "never";
                },
                _ => Task.FromResult<object?>("backup"));

        var run = await wf.TestAsync(null);

        Assert.Equal("backup", run.Output.As<string>());
        var lanes = run.Step("gateways").Lanes!;
        Assert.Equal(["gateways[0]", "gateways[1]"], lanes.Select(l => l.Name));
        Assert.Equal([false, true], lanes.Select(l => l.Won));
        Assert.Equal([StepStatus.Skipped, StepStatus.Completed], lanes.Select(l => l.Status));
        Assert.NotNull(lanes[1].CompletedAt);
    }

    [Fact]
    public async Task Items_ForEach_CountsEveryItemAndKeepsOneLanePerItem()
    {
        var wf = Workflow.Define("items-each")
            .ForEach("each-item", _ => new[] { 1, 2, 3 }, (item, body) => body.Step("square", _ => item * item));

        var run = await wf.TestAsync(null);

        var block = run.Step("each-item");
        Assert.Equal(new ItemCounts { Total = 3, Completed = 3, Failed = 0, Skipped = 0 }, block.Items);
        Assert.Equal(["item 0", "item 1", "item 2"], block.Lanes!.Select(l => l.Name));
        Assert.All(block.Lanes!, l => Assert.True(l.Status == StepStatus.Completed && l.CompletedAt >= l.StartedAt));
        Assert.DoesNotContain(run.Steps, s => s.Name == "square");
    }

    [Fact]
    public async Task Items_ForEachItemFails_CountsTheFailureAndTheItemsLeft()
    {
        var wf = Workflow.Define("items-fail")
            .ForEach(
                "each-item",
                _ => new[] { 1, 2, 3, 4 },
                (item, body) => body.Step("check", _ => item == 1 ? throw new InvalidOperationException("bad item") : item),
                new ForEachOptions { MaxConcurrency = 1 });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(new ItemCounts { Total = 4, Completed = 0, Failed = 1, Skipped = 3 }, run.Step("each-item").Items);
        Assert.Equal([StepStatus.Failed, StepStatus.Skipped, StepStatus.Skipped, StepStatus.Skipped], run.Step("each-item").Lanes!.Select(l => l.Status));
        Assert.Null(run.Step("each-item").Lanes![1].StartedAt);
    }

    [Fact]
    public async Task Items_ForEachOverTheLaneCap_CountsAllAndDrawsTheFirstLanes()
    {
        var wf = Workflow.Define("items-many")
            .ForEach("each-item", _ => Enumerable.Range(0, StepRecord.MaxLanes + 10).ToArray(), (item, body) => body.Step("echo", _ => item));

        var run = await wf.TestAsync(null);

        var block = run.Step("each-item");
        Assert.Equal(StepRecord.MaxLanes + 10, block.Items!.Total);
        Assert.Equal(StepRecord.MaxLanes + 10, block.Items.Completed);
        Assert.Equal(StepRecord.MaxLanes, block.Lanes!.Count);
        Assert.Equal("item 0", block.Lanes[0].Name);
    }

    [Fact]
    public async Task Items_ForEachInChunks_OneLanePerChunkAndItemsCountedByChunk()
    {
        var wf = Workflow.Define("items-chunks")
            .ForEach("each-item", _ => new[] { 1, 2, 3, 4, 5 }, (item, body) => body.Step("double", _ => item * 2), new ForEachOptions { ChunkSize = 2 });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        var block = run.Step("each-item");
        Assert.Equal(["items 0-1", "items 2-3", "item 4"], block.Lanes!.Select(l => l.Name));
        Assert.All(block.Lanes!, l => Assert.Equal(StepStatus.Completed, l.Status));
        Assert.Equal(new ItemCounts { Total = 5, Completed = 5, Failed = 0, Skipped = 0 }, block.Items);
    }
}
