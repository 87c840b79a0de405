namespace Cronflow;

/// <summary>Workflow-level settings, given to <see cref="Workflow.Define(string, Action{WorkflowOptions}?)"/>.</summary>
public sealed class WorkflowOptions
{
    /// <summary>A display name. Defaults to the workflow id.</summary>
    public string? Name { get; set; }

    /// <summary>A free-text description.</summary>
    public string? Description { get; set; }

    /// <summary>Labels for grouping and search.</summary>
    public IReadOnlyList<string> Tags { get; set; } = [];

    /// <summary>
    /// The longest a run may take. No default: durable runs may legitimately wait for days.
    /// When it passes the run fails with a timeout error and <see cref="WorkflowHooks.OnFailure"/> runs.
    /// </summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>An optional cap on the number of runs of this workflow running at once; extra runs wait their turn.</summary>
    public int? Concurrency { get; set; }

    /// <summary>Callbacks that run once per run, as activities.</summary>
    public WorkflowHooks Hooks { get; } = new();
}

/// <summary>Run-level callbacks. Each runs once per run as an activity; a failing hook is recorded and does not change the run's outcome.</summary>
public sealed class WorkflowHooks
{
    /// <summary>Runs when a run completes successfully. <see cref="FlowContext.Last"/> is the run's output.</summary>
    public Func<StepContext, Task>? OnSuccess { get; set; }

    /// <summary>Runs when a run fails. <see cref="StepContext.Error"/> describes the failure.</summary>
    public Func<StepContext, Task>? OnFailure { get; set; }
}

/// <summary>Options of a <c>Parallel</c> block.</summary>
public sealed class ParallelOptions
{
    /// <summary>The block's step name (its output is readable as <c>ctx.Steps[name]</c>). Defaults to <c>parallel-N</c>.</summary>
    public string? Name { get; set; }

    /// <summary>At most this many branches in flight; each finished branch is replaced by the next (a sliding window). Default: all at once.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>The block fails with a timeout error when this passes. The timer is cancelled when the block ends first.</summary>
    public TimeSpan? Timeout { get; set; }
}

/// <summary>Options of a <c>Race</c>.</summary>
public sealed class RaceOptions
{
    /// <summary>The race's step name. Defaults to <c>race-N</c>.</summary>
    public string? Name { get; set; }

    /// <summary>The race fails with a timeout error when no branch has succeeded by then.</summary>
    public TimeSpan? Timeout { get; set; }
}

/// <summary>Options of a <c>ForEach</c>.</summary>
public sealed class ForEachOptions
{
    /// <summary>At most this many items in flight (sliding window). Default: all at once.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>
    /// Item lists longer than this run in chunks of this size, each as a sub-orchestration, so that no single
    /// history grows without bound. Default 100.
    /// </summary>
    public int ChunkSize { get; set; } = 100;
}

/// <summary>How long to wait between retry attempts.</summary>
public sealed record Backoff
{
    private Backoff(BackoffKind kind, TimeSpan delay, TimeSpan? max)
    {
        Kind = kind;
        Delay = delay;
        Max = max;
    }

    /// <summary>The shape of the backoff.</summary>
    public BackoffKind Kind { get; }

    /// <summary>The first delay.</summary>
    public TimeSpan Delay { get; }

    /// <summary>The largest delay, if capped.</summary>
    public TimeSpan? Max { get; }

    /// <summary>The same delay before every retry.</summary>
    public static Backoff Fixed(TimeSpan delay) => new(BackoffKind.Fixed, delay, null);

    /// <summary>delay, 2×delay, 3×delay, … capped at <paramref name="max"/>.</summary>
    public static Backoff Linear(TimeSpan delay, TimeSpan? max = null) => new(BackoffKind.Linear, delay, max);

    /// <summary>delay, 2×delay, 4×delay, … capped at <paramref name="max"/>.</summary>
    public static Backoff Exponential(TimeSpan delay, TimeSpan? max = null) => new(BackoffKind.Exponential, delay, max);

    /// <summary>The delay before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    public TimeSpan DelayBefore(int retry)
    {
        if (retry < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(retry), retry, "The first retry is number 1.");
        }

        double factor = Kind switch
        {
            BackoffKind.Fixed => 1,
            BackoffKind.Linear => retry,
            _ => Math.Pow(2, Math.Min(retry - 1, 62)),
        };
        var ticks = Delay.Ticks * factor;
        var delay = ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
        return Max is { } max && delay > max ? max : delay;
    }
}

/// <summary>The shapes of <see cref="Backoff"/>.</summary>
public enum BackoffKind
{
    /// <summary>Always the same delay.</summary>
    Fixed,

    /// <summary>The delay grows by the first delay each time.</summary>
    Linear,

    /// <summary>The delay doubles each time.</summary>
    Exponential,
}

/// <summary>A retry policy for a step or block.</summary>
public sealed class RetryOptions
{
    /// <summary>Total attempts, the first included (3 means up to two retries).</summary>
    public int Attempts { get; set; } = 3;

    /// <summary>The delay between attempts. Default: no delay.</summary>
    public Backoff? Backoff { get; set; }

    /// <summary>
    /// Only failures caused by one of these exception types (or their subclasses) are retried. Empty: every failure.
    /// Matched on the failure's recorded type name, as it crossed the activity boundary.
    /// </summary>
    public IReadOnlyList<Type> RetryOn { get; set; } = [];
}

/// <summary>Options of a <c>HumanInTheLoop</c> pause.</summary>
public sealed class HumanInTheLoopOptions
{
    /// <summary>The step's name. Defaults to <c>approval-N</c>.</summary>
    public string? Name { get; set; }

    /// <summary>What the human is asked to decide; shown with the paused run.</summary>
    public string? Description { get; set; }

    /// <summary>How long to wait. When it passes, <see cref="OnTimeout"/> runs and the output says <c>timedOut: true</c>. Default: wait forever.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Runs (as an activity) when the run pauses, with the run's own resume token: send it to whoever decides.</summary>
    public Func<StepContext, string, Task>? OnPause { get; set; }

    /// <summary>Runs (as an activity) when the timeout passes without a decision.</summary>
    public Func<StepContext, Task>? OnTimeout { get; set; }
}
