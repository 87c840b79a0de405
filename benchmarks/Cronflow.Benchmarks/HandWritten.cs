using System.Globalization;
using Cronflow.Benchmarks.Harness;
using Microsoft.DurableTask;

namespace Cronflow.Benchmarks;

/// <summary>Orchestration and activity names of the hand-written side.</summary>
internal static class RawNames
{
    public const string Sequence = "Raw.Sequence";
    public const string FanOut = "Raw.FanOut";
    public const string Race = "Raw.Race";
    public const string Timeout = "Raw.Timeout";
    public const string Chain = "Raw.Chain";
    public const string Sleep = "Raw.Sleep";

    public const string Add = "Raw.Add";
    public const string Delay = "Raw.Delay";
    public const string Stamped = "Raw.Stamped";
    public const string Blob = "Raw.Blob";
}

internal sealed record Num(int N);

internal sealed record SequenceInput(int N, int Steps);

/// <summary>Branch durations, run all at once (<see cref="Window"/> 0, <see cref="WaveSize"/> 0), in a sliding window, or in waves.</summary>
internal sealed record FanOutInput(int[] DurationsMs, int Window, int WaveSize);

/// <summary>The block's duration in orchestration time (as Cronflow's step records measure it) and the branch results.</summary>
internal sealed record FanOutResult(double BlockMs, int[] Results);

internal sealed record StampRequest(string Name, int DelayMs);

internal sealed record TimeoutInput(int WorkMs, int TimeoutMs);

internal sealed record BlobIn(int I, BlobOut? Previous);

internal sealed record BlobOut(int I, string Blob);

/// <summary>What a hand-written orchestrator does for "n steps, each adding one": call the activity n times in a row.</summary>
internal sealed class RawSequence : TaskOrchestrator<SequenceInput, Num>
{
    public override async Task<Num> RunAsync(TaskOrchestrationContext context, SequenceInput input)
    {
        var value = new Num(input.N);
        for (var i = 0; i < input.Steps; i++)
        {
            value = await context.CallActivityAsync<Num>(RawNames.Add, value);
        }

        return value;
    }
}

/// <summary>Fan-out: all branches at once, a sliding window, or waves, timed in orchestration time.</summary>
internal sealed class RawFanOut : TaskOrchestrator<FanOutInput, FanOutResult>
{
    public override async Task<FanOutResult> RunAsync(TaskOrchestrationContext context, FanOutInput input)
    {
        var started = context.CurrentUtcDateTime;
        var durations = input.DurationsMs;
        var results = new int[durations.Length];
        if (input.WaveSize > 0)
        {
            for (var first = 0; first < durations.Length; first += input.WaveSize)
            {
                var wave = Enumerable.Range(first, Math.Min(input.WaveSize, durations.Length - first))
                    .Select(i => context.CallActivityAsync<int>(RawNames.Delay, durations[i]))
                    .ToArray();
                var done = await Task.WhenAll(wave);
                done.CopyTo(results, first);
            }
        }
        else
        {
            var window = input.Window > 0 ? input.Window : durations.Length;
            var inFlight = new Dictionary<Task<int>, int>();
            var next = 0;
            while (next < Math.Min(window, durations.Length))
            {
                inFlight[context.CallActivityAsync<int>(RawNames.Delay, durations[next])] = next;
                next++;
            }

            while (inFlight.Count > 0)
            {
                var done = await Task.WhenAny(inFlight.Keys);
                results[inFlight[done]] = await done;
                inFlight.Remove(done);
                if (next < durations.Length)
                {
                    inFlight[context.CallActivityAsync<int>(RawNames.Delay, durations[next])] = next;
                    next++;
                }
            }
        }

        return new FanOutResult((context.CurrentUtcDateTime - started).TotalMilliseconds, results);
    }
}

/// <summary>A race of a fast and a slow activity; the winner's result goes to the next activity.</summary>
internal sealed class RawRace : TaskOrchestrator<object?, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, object? input)
    {
        var fast = context.CallActivityAsync<string>(RawNames.Stamped, new StampRequest("fast", Shapes.RaceFastMs));
        var slow = context.CallActivityAsync<string>(RawNames.Stamped, new StampRequest("slow", Shapes.RaceSlowMs));
        var winner = await Task.WhenAny(fast, slow);
        _ = await winner;
        return await context.CallActivityAsync<string>(RawNames.Stamped, new StampRequest("next", 0));
    }
}

/// <summary>An activity against a durable timer: the timer is cancelled when the activity wins; a fallback activity runs when the timer wins.</summary>
internal sealed class RawTimeout : TaskOrchestrator<TimeoutInput, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, TimeoutInput input)
    {
        using var timerCancel = new CancellationTokenSource();
        var work = context.CallActivityAsync<string>(RawNames.Stamped, new StampRequest("work", input.WorkMs));
        var timer = context.CreateTimer(TimeSpan.FromMilliseconds(input.TimeoutMs), timerCancel.Token);
        if (await Task.WhenAny(work, timer) == work)
        {
            timerCancel.Cancel();
            _ = await work;
        }
        else
        {
            _ = await context.CallActivityAsync<string>(RawNames.Stamped, new StampRequest("fallback", 0));
        }

        return await context.CallActivityAsync<string>(RawNames.Stamped, new StampRequest("next", 0));
    }
}

/// <summary>A chain of steps, each passed the previous step's output (what a hand-written chain would send).</summary>
internal sealed class RawChain : TaskOrchestrator<int, BlobOut?>
{
    public override async Task<BlobOut?> RunAsync(TaskOrchestrationContext context, int steps)
    {
        BlobOut? last = null;
        for (var i = 0; i < steps; i++)
        {
            last = await context.CallActivityAsync<BlobOut>(RawNames.Blob, new BlobIn(i, last));
        }

        return last;
    }
}

/// <summary>One activity, then a long durable timer.</summary>
internal sealed class RawSleep : TaskOrchestrator<Num, Num>
{
    public override async Task<Num> RunAsync(TaskOrchestrationContext context, Num input)
    {
        var prepared = await context.CallActivityAsync<Num>(RawNames.Add, input);
        await context.CreateTimer(Shapes.SleepFor, CancellationToken.None);
        return prepared;
    }
}

internal sealed class AddActivity : TaskActivity<Num, Num>
{
    public override Task<Num> RunAsync(TaskActivityContext context, Num input) => Task.FromResult(new Num(input.N + 1));
}

internal sealed class DelayActivity : TaskActivity<int, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, int input)
    {
        await Task.Delay(input);
        return input;
    }
}

internal sealed class StampedActivity : TaskActivity<StampRequest, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, StampRequest input)
    {
        Stamps.Mark(context.InstanceId, input.Name + ":start");
        if (input.DelayMs > 0)
        {
            await Task.Delay(input.DelayMs);
        }

        Stamps.Mark(context.InstanceId, input.Name + ":end");
        return input.Name;
    }
}

internal sealed class BlobActivity : TaskActivity<BlobIn, BlobOut>
{
    public override Task<BlobOut> RunAsync(TaskActivityContext context, BlobIn input) =>
        Task.FromResult(new BlobOut(input.I, Shapes.Blob));
}

/// <summary>Formatting helpers.</summary>
internal static class Fmt
{
    public static string N0(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    public static string F2(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    public static string F3(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
