using System.Globalization;

namespace Cronflow.Local;

/// <summary>Prints runs for people: step events while following, and a finished run's timeline.</summary>
internal sealed class RunPrinter(TextWriter output)
{
    private readonly Dictionary<string, (StepStatus Status, int Index)> _seen = new(StringComparer.Ordinal);

    /// <summary>Prints what changed since the previous call: steps that started, waited, finished or failed.</summary>
    public void PrintChanges(RunInfo run)
    {
        var index = 0;
        foreach (var step in run.Steps)
        {
            var key = $"{index}:{step.Path}";
            if (!_seen.TryGetValue(key, out var previous) || previous.Status != step.Status)
            {
                _seen[key] = (step.Status, index);
                output.WriteLine(step.Status switch
                {
                    StepStatus.Running => $"  > {step.Name} ({step.Kind}) started",
                    StepStatus.Waiting => $"  ~ {step.Name} ({step.Kind}) waiting: {step.Detail}",
                    StepStatus.Completed => $"  + {step.Name} ({step.Kind}) completed in {Duration(step)}{(step.Detail is null ? "" : $" - {step.Detail}")}",
                    StepStatus.Failed => $"  x {step.Name} ({step.Kind}) failed after {Duration(step)}: {step.Error?.Message}",
                    _ => $"  - {step.Name} ({step.Kind}) {step.Status.ToString().ToLowerInvariant()}",
                });
            }

            index++;
        }
    }

    /// <summary>One line summing up a run in flight, for the progress display.</summary>
    public static string Progress(RunInfo run, TimeSpan elapsed)
    {
        var done = run.Steps.Count(s => s.Status is StepStatus.Completed or StepStatus.Failed or StepStatus.Skipped);
        return string.Create(CultureInfo.InvariantCulture, $"[{elapsed.TotalSeconds,5:0.0}s] {run.Status} - {done}/{run.Steps.Count} steps done{(run.WaitingFor is null ? "" : $", waiting for {run.WaitingFor}")}");
    }

    /// <summary>The whole run: status, timeline of steps, output or error.</summary>
    public void PrintTimeline(RunInfo run)
    {
        output.WriteLine($"Run {run.Id} of {run.WorkflowId}: {run.Status}");
        output.WriteLine($"  {"step",-28} {"kind",-14} {"status",-10} {"start",8} {"took",9}  attempts  detail");
        foreach (var step in run.Steps)
        {
            var start = step.StartedAt is { } started ? string.Create(CultureInfo.InvariantCulture, $"+{(started - run.CreatedAt).TotalMilliseconds:0}ms") : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Cut(step.Name, 28),-28} {step.Kind,-14} {step.Status,-10} {start,8} {Duration(step),9}  {step.Attempts,8}  {step.Detail ?? step.Error?.Message ?? ""}"));
        }

        if (!run.Output.IsNull)
        {
            output.WriteLine($"  output: {Cut(run.Output.Json.GetRawText(), 400)}");
        }

        if (run.Error is { } error)
        {
            output.WriteLine($"  error: {error.ErrorType}: {error.Message}");
        }

        foreach (var pause in run.Pauses)
        {
            output.WriteLine($"  waiting on a person: {pause.Description} (resume token {pause.Token})");
        }
    }

    private static string Duration(StepRecord step) =>
        step is { StartedAt: { } started, CompletedAt: { } completed }
            ? string.Create(CultureInfo.InvariantCulture, $"{(completed - started).TotalMilliseconds:0}ms")
            : "";

    private static string Cut(string? text, int length) => text is null ? "" : text.Length <= length ? text : text[..(length - 3)] + "...";
}
