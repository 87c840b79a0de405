using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Cronflow.Dashboard;

/// <summary>The run page's timeline: step bars, attempts, block lanes and errors.</summary>
internal static partial class DashboardPages
{
    /// <summary>
    /// One row per step record, in start order: a bar placed by start and end on the run's time axis (steps that ran at
    /// the same time overlap, side by side), waits drawn as waits, attempts counted; the row opens to the step's output
    /// and error.
    /// </summary>
    private static string Timeline(DashboardView view, RunInfo run, WorkflowDefinition? workflow)
    {
        if (run.Steps.Count == 0)
        {
            return "<p class=\"empty\">No step has started yet.</p>";
        }

        var start = run.CreatedAt;
        foreach (var step in run.Steps)
        {
            if (step.StartedAt is { } started && started < start)
            {
                start = started;
            }
        }

        var end = run.CompletedAt ?? view.Now;
        foreach (var step in run.Steps)
        {
            var stepEnd = step.CompletedAt ?? (run.IsFinished ? step.StartedAt : view.Now);
            if (stepEnd is { } e && e > end)
            {
                end = e;
            }
        }

        var span = Math.Max((end - start).TotalMilliseconds, 1);
        var b = new StringBuilder();
        b.Append("<div class=\"timeline\" data-total-ms=\"").Append(((long)span).ToString(CultureInfo.InvariantCulture)).Append("\">");
        b.Append("<div class=\"tl-axis\" aria-hidden=\"true\"><span>Step</span><span class=\"tl-scale\"><span>0</span><span>")
            .Append(E(Duration(TimeSpan.FromMilliseconds(span / 2)))).Append("</span><span>").Append(E(Duration(TimeSpan.FromMilliseconds(span)))).Append("</span></span></div>");
        var index = 0;
        foreach (var step in run.Steps)
        {
            var stepStart = step.StartedAt ?? start;
            var stepEnd = step.CompletedAt ?? (run.IsFinished ? stepStart : view.Now);
            var wait = Array.IndexOf(WaitKinds, step.Kind) >= 0;
            var depth = Math.Min(step.Path.Split('/').Length / 2, 6);
            var duration = step.StartedAt is null ? "" : Duration(stepEnd - stepStart) + (step.CompletedAt is null && !run.IsFinished ? " so far" : "");
            b.Append("<details class=\"tl-row s-").Append(Lower(step.Status)).Append(wait ? " wait" : "").Append("\" id=\"step-").Append(index.ToString(CultureInfo.InvariantCulture))
                .Append("\" data-step=\"").Append(E(step.Name)).Append("\" data-kind=\"").Append(E(step.Kind)).Append("\" data-path=\"").Append(E(step.Path)).Append("\">");
            b.Append("<summary><span class=\"tl-label d").Append(depth.ToString(CultureInfo.InvariantCulture)).Append("\"><span class=\"tl-name\">").Append(E(step.Name)).Append("</span> <span class=\"kind\">")
                .Append(E(KindLabel(step.Kind))).Append("</span>");
            if (step.Attempts > 1)
            {
                b.Append(" <span class=\"attempts\">").Append(step.Attempts.ToString(CultureInfo.InvariantCulture)).Append(" attempts</span>");
            }

            b.Append("</span><span class=\"tl-track\"><svg viewBox=\"0 0 1000 20\" preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\">");
            if (step.Tries is { Count: > 0 } tries && !wait)
            {
                // Each attempt its own bar, at its own start and end; the gaps between them are the retry delays.
                foreach (var attempt in tries)
                {
                    var attemptEnd = attempt.CompletedAt ?? stepEnd;
                    b.Append("<rect class=\"bar try").Append(attempt.Error is null ? "" : " failed").Append("\" data-attempt=\"").Append(attempt.Number.ToString(CultureInfo.InvariantCulture)).Append('"');
                    Bar(b, start, span, attempt.StartedAt, attemptEnd);
                }
            }
            else
            {
                b.Append("<rect class=\"bar\"");
                Bar(b, start, span, stepStart, stepEnd);
            }

            b.Append("</svg></span><span class=\"tl-meta\">").Append(Badge(step.Status)).Append(" <span class=\"tl-time\">").Append(E(duration)).Append("</span></span></summary>");

            b.Append("<div class=\"tl-more\"><dl class=\"facts small\">");
            Fact(b, "Kind", E(KindLabel(step.Kind)) + " <span class=\"mono hint\">path " + E(step.Path) + "</span>");
            Fact(b, "Attempts", step.Attempts.ToString(CultureInfo.InvariantCulture));
            if (step.StartedAt is { } s)
            {
                Fact(b, "Started", Time(s));
            }

            if (step.CompletedAt is { } c)
            {
                Fact(b, "Finished", Time(c));
            }

            if (step.Detail is { } detail)
            {
                Fact(b, "Detail", E(detail));
            }

            if (step.Kind == "subflow" && step.StartedAt is not null)
            {
                var child = run.Id + ":" + step.Name;
                Fact(b, "Subflow run", "<a class=\"mono\" href=\"" + E(CronflowDashboard.RunUrl(view, child)) + "\">" + E(child) + "</a>");
            }

            if (workflow is not null && Branches(workflow, step.Path) is { } branches)
            {
                Fact(b, "Branches", E(branches));
            }

            b.Append("</dl>");
            if (step.Tries is { Count: > 0 } attemptList)
            {
                b.Append("<h3>Attempts</h3>").Append(Attempts(attemptList, step.Attempts));
            }

            if (step.Output is { } output)
            {
                b.Append("<h3>Output</h3>").Append(Json(output));
            }

            if (step.Error is { } stepError)
            {
                b.Append("<h3>Error</h3>").Append(ErrorBlock(stepError));
            }

            b.Append("</div></details>");
            if (step.Lanes is not null || step.Items is not null)
            {
                Lanes(b, view, run, step, depth, start, span);
            }

            index++;
        }

        b.Append("</div>");
        return b.ToString();
    }

    /// <summary>The rest of a bar: its place on the time axis (1000 units wide), at least 4 units wide.</summary>
    private static void Bar(StringBuilder b, DateTimeOffset origin, double span, DateTimeOffset from, DateTimeOffset to)
    {
        var x = Math.Min((from - origin).TotalMilliseconds / span * 1000, 996);
        var width = Math.Min(Math.Max((to - from).TotalMilliseconds / span * 1000, 4), 1000 - x);
        b.Append(" x=\"").Append(F(x)).Append("\" y=\"3\" width=\"").Append(F(width)).Append("\" height=\"14\"></rect>");
    }

    /// <summary>A retried step's attempts as a list: when each ran and why it failed.</summary>
    private static string Attempts(IReadOnlyList<StepAttempt> tries, int count)
    {
        var b = new StringBuilder("<ol class=\"tries\">");
        foreach (var attempt in tries)
        {
            b.Append("<li value=\"").Append(attempt.Number.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(Time(attempt.StartedAt));
            if (attempt.CompletedAt is { } ended)
            {
                b.Append(" – ").Append(Time(ended)).Append(" (").Append(E(Duration(ended - attempt.StartedAt))).Append(')');
            }

            b.Append(attempt.Error is { } error ? " <strong>failed</strong>: " + E(error.Message) : attempt.CompletedAt is null ? " running" : " succeeded").Append("</li>");
        }

        b.Append("</ol>");
        if (count > tries.Count)
        {
            b.Append("<p class=\"hint\">The last ").Append(tries.Count.ToString(CultureInfo.InvariantCulture)).Append(" of ").Append(count.ToString(CultureInfo.InvariantCulture)).Append(" attempts.</p>");
        }

        return b.ToString();
    }

    /// <summary>
    /// A block's lanes under its row, on the same time axis: a parallel or race block's branches side by side (the
    /// race's winner marked), a for-each's items (or chunks) with the count of each outcome.
    /// </summary>
    private static void Lanes(StringBuilder b, DashboardView view, RunInfo run, StepRecord step, int depth, DateTimeOffset start, double span)
    {
        var chunked = step.Items is { } counted && step.Lanes is { } parts && parts.Count < counted.Total && parts.Count < StepRecord.MaxLanes;
        var what = step.Kind != "forEach" ? "Branches" : chunked ? "Chunks" : "Items";
        b.Append("<div class=\"tl-lanes\" role=\"group\" aria-label=\"").Append(what).Append(" of ").Append(E(step.Name)).Append("\" data-block=\"").Append(E(step.Name)).Append("\">");
        var label = " d" + Math.Min(depth + 1, 6).ToString(CultureInfo.InvariantCulture);
        if (step.Items is { } items)
        {
            b.Append("<div class=\"tl-lane tl-counts\"><span class=\"tl-label").Append(label).Append("\">")
                .Append(items.Total.ToString(CultureInfo.InvariantCulture)).Append(items.Total == 1 ? " item" : " items").Append("</span><span class=\"counts-line\">")
                .Append("<span class=\"badge s-completed\" data-count=\"completed\">").Append(items.Completed.ToString(CultureInfo.InvariantCulture)).Append(" completed</span> ")
                .Append("<span class=\"badge s-failed\" data-count=\"failed\">").Append(items.Failed.ToString(CultureInfo.InvariantCulture)).Append(" failed</span> ")
                .Append("<span class=\"badge s-skipped\" data-count=\"skipped\">").Append(items.Skipped.ToString(CultureInfo.InvariantCulture)).Append(" skipped</span>")
                .Append("</span><span></span></div>");
        }

        foreach (var lane in step.Lanes ?? [])
        {
            var laneStart = lane.StartedAt ?? step.StartedAt ?? start;
            var laneEnd = lane.CompletedAt ?? step.CompletedAt ?? (run.IsFinished ? laneStart : view.Now);
            b.Append("<div class=\"tl-lane s-").Append(Lower(lane.Status)).Append(lane.Won ? " won" : "").Append("\" data-lane=\"").Append(E(lane.Name)).Append("\">")
                .Append("<span class=\"tl-label").Append(label).Append("\">").Append(E(lane.Name))
                .Append(lane.Won ? " <span class=\"winner\">winner</span>" : "").Append("</span>")
                .Append("<span class=\"tl-track\"><svg viewBox=\"0 0 1000 20\" preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\">");
            if (lane.StartedAt is not null)
            {
                b.Append("<rect class=\"bar\"");
                Bar(b, start, span, laneStart, laneEnd);
            }

            b.Append("</svg></span><span class=\"tl-meta\">").Append(Badge(lane.Status)).Append(" <span class=\"tl-time\">")
                .Append(lane.StartedAt is null ? "" : E(Duration(laneEnd - laneStart))).Append("</span></span></div>");
        }

        var total = step.Items?.Total ?? 0;
        if (step.Lanes is { } shown && (what == "Items" ? total > shown.Count : shown.Count == StepRecord.MaxLanes))
        {
            b.Append("<p class=\"hint tl-capped\">The first ").Append(shown.Count.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(what.ToLowerInvariant()).Append(" are drawn.</p>");
        }

        b.Append("</div>");
    }

    private static string? Branches(WorkflowDefinition workflow, string path)
    {
        var node = NodeWalker.Walk(workflow.Nodes).FirstOrDefault(n => n.Path == path);
        return node switch
        {
            ParallelNode parallel => $"{parallel.Branches.Count} branches run side by side" + (parallel.MaxConcurrency is { } max ? $", at most {max} at once" : ""),
            RaceNode race => $"{race.Branches.Count} branches race; the first success wins",
            ForEachNode forEach => "one group of steps per item" + (forEach.MaxConcurrency is { } max ? $", at most {max} items at once" : ""),
            _ => null,
        };
    }

    private static string ErrorBlock(StepError error)
    {
        var b = new StringBuilder("<div class=\"error-block\"><p><strong>").Append(E(error.ErrorType)).Append("</strong>");
        if (error.Code is { } code)
        {
            b.Append(" <span class=\"mono hint\">").Append(E(code)).Append("</span>");
        }

        if (error.Step is { } step)
        {
            b.Append(" in <span class=\"mono\">").Append(E(step)).Append("</span>");
        }

        b.Append("</p><pre class=\"error\">").Append(E(error.Message)).Append("</pre>");
        if (error.Branches is { Count: > 0 } branches)
        {
            b.Append("<ul class=\"branches\">");
            foreach (var branch in branches)
            {
                b.Append("<li>").Append(E(branch.Name)).Append(": ").Append(E(branch.Status.ToString()));
                if (branch.Error is { } branchError)
                {
                    b.Append(" — ").Append(E(branchError.Message));
                }

                b.Append("</li>");
            }

            b.Append("</ul>");
        }

        return b.Append("</div>").ToString();
    }
}
