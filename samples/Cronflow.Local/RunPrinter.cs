using System.Globalization;
using System.Text.Json;

namespace Cronflow.Local;

/// <summary>Prints runs for people: step events while following, and a finished run's timeline.</summary>
internal sealed class RunPrinter(TextWriter output)
{
    private readonly Dictionary<string, (string Status, int Index)> _seen = new(StringComparer.Ordinal);

    /// <summary>Prints what changed since the previous call: steps that started, waited, finished or failed.</summary>
    public void PrintChanges(JsonElement run)
    {
        var steps = run.GetProperty("steps");
        var index = 0;
        foreach (var step in steps.EnumerateArray())
        {
            var key = $"{index}:{step.GetProperty("path").GetString()}";
            var status = step.GetProperty("status").GetString() ?? "";
            if (!_seen.TryGetValue(key, out var previous) || previous.Status != status)
            {
                _seen[key] = (status, index);
                var name = step.GetProperty("name").GetString();
                var kind = step.GetProperty("kind").GetString();
                var detail = Text(step, "detail");
                output.WriteLine(status switch
                {
                    "Running" => $"  > {name} ({kind}) started",
                    "Waiting" => $"  ~ {name} ({kind}) waiting: {detail}",
                    "Completed" => $"  + {name} ({kind}) completed in {Duration(step)}{(detail is null ? "" : $" - {detail}")}",
                    "Failed" => $"  x {name} ({kind}) failed after {Duration(step)}: {Error(step)}",
                    _ => $"  - {name} ({kind}) {status.ToLowerInvariant()}",
                });
            }

            index++;
        }
    }

    /// <summary>One line summing up a run in flight, for the progress display.</summary>
    public static string Progress(JsonElement run, TimeSpan elapsed)
    {
        var steps = run.GetProperty("steps");
        var done = steps.EnumerateArray().Count(s => s.GetProperty("status").GetString() is "Completed" or "Failed" or "Skipped");
        var waiting = Text(run, "waitingFor");
        return $"[{elapsed.TotalSeconds,5:0.0}s] {run.GetProperty("status").GetString()} - {done}/{steps.GetArrayLength()} steps done{(waiting is null ? "" : $", waiting for {waiting}")}";
    }

    /// <summary>The whole run: status, timeline of steps, output or error.</summary>
    public void PrintTimeline(JsonElement run)
    {
        var created = run.GetProperty("createdAt").GetDateTimeOffset();
        output.WriteLine($"Run {run.GetProperty("id").GetString()} of {run.GetProperty("workflowId").GetString()}: {run.GetProperty("status").GetString()}");
        output.WriteLine($"  {"step",-28} {"kind",-14} {"status",-10} {"start",8} {"took",9}  attempts  detail");
        foreach (var step in run.GetProperty("steps").EnumerateArray())
        {
            var start = step.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String
                ? $"+{(s.GetDateTimeOffset() - created).TotalMilliseconds:0}ms"
                : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Cut(step.GetProperty("name").GetString(), 28),-28} {step.GetProperty("kind").GetString(),-14} {step.GetProperty("status").GetString(),-10} {start,8} {Duration(step),9}  {step.GetProperty("attempts").GetInt32(),8}  {Text(step, "detail") ?? Error(step) ?? ""}"));
        }

        if (run.TryGetProperty("output", out var result) && result.ValueKind != JsonValueKind.Null)
        {
            output.WriteLine($"  output: {Cut(result.GetRawText(), 400)}");
        }

        if (run.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            output.WriteLine($"  error: {Text(error, "errorType")}: {Text(error, "message")}");
        }

        if (run.TryGetProperty("pauses", out var pauses))
        {
            foreach (var pause in pauses.EnumerateArray())
            {
                output.WriteLine($"  waiting on a person: {Text(pause, "description")} (resume token {Text(pause, "token")})");
            }
        }
    }

    private static string Duration(JsonElement step)
    {
        if (step.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String
            && step.TryGetProperty("completedAt", out var c) && c.ValueKind == JsonValueKind.String)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(c.GetDateTimeOffset() - s.GetDateTimeOffset()).TotalMilliseconds:0}ms");
        }

        return "";
    }

    private static string? Error(JsonElement step) =>
        step.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object ? Text(error, "message") : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Cut(string? text, int length) => text is null ? "" : text.Length <= length ? text : text[..(length - 3)] + "...";
}
