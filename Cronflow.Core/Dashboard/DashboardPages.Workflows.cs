using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Cronflow.Dashboard;

/// <summary>The workflows page: each definition's diagram, triggers and trigger form.</summary>
internal static partial class DashboardPages
{
    public static string Workflows(DashboardView view, WorkflowRegistry registry, DashboardNotice? notice)
    {
        var b = new StringBuilder();
        b.Append("<h1>Workflows</h1><nav class=\"toc\" aria-label=\"Workflows on this page\"><ul>");
        var workflows = registry.All.OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
        foreach (var workflow in workflows)
        {
            b.Append("<li><a href=\"#wf-").Append(E(workflow.Id)).Append("\">").Append(E(workflow.Name)).Append("</a></li>");
        }

        b.Append("</ul></nav>");
        foreach (var workflow in workflows)
        {
            b.Append("<section class=\"panel workflow\" id=\"wf-").Append(E(workflow.Id)).Append("\" aria-labelledby=\"wf-title-").Append(E(workflow.Id)).Append("\">");
            b.Append("<h2 id=\"wf-title-").Append(E(workflow.Id)).Append("\">").Append(E(workflow.Name)).Append(" <span class=\"mono hint\">").Append(E(workflow.Id)).Append("</span></h2>");
            if (workflow.Description is { } description)
            {
                b.Append("<p>").Append(E(description)).Append("</p>");
            }

            b.Append("<dl class=\"facts\">");
            if (workflow.Tags.Count > 0)
            {
                Fact(b, "Tags", string.Join(" ", workflow.Tags.Select(t => "<span class=\"tag\">" + E(t) + "</span>")));
            }

            if (workflow.Concurrency is { } concurrency)
            {
                Fact(b, "Concurrency", concurrency.ToString(CultureInfo.InvariantCulture) + " run(s) at once");
            }

            if (workflow.Timeout is { } timeout)
            {
                Fact(b, "Timeout", E(Duration(timeout)));
            }

            var triggers = new List<string>();
            foreach (var webhook in workflow.Webhooks)
            {
                triggers.Add("webhook <span class=\"mono\">" + E(webhook.Options.Method.ToUpperInvariant()) + " /api" + E(webhook.Path) + "</span>"
                    + (webhook.Options.Secret is null ? "" : " <span class=\"hint\">(signed)</span>"));
            }

            foreach (var schedule in workflow.Schedules)
            {
                var what = schedule.Cron is { } cron ? "cron <span class=\"mono\">" + E(cron) + "</span> " + E(schedule.TimeZone.Id) : "every " + E(Duration(schedule.Interval!.Value));
                var next = schedule.NextAfter(view.Now);
                triggers.Add("schedule " + what + (next is { } n ? " — next " + Time(n) : ""));
            }

            foreach (var eventName in workflow.Events)
            {
                triggers.Add("event <span class=\"mono\">" + E(eventName) + "</span>");
            }

            Fact(b, "Triggers", triggers.Count == 0 ? "manual only" : "<ul class=\"triggers\"><li>" + string.Join("</li><li>", triggers) + "</li></ul>");
            Fact(b, "Runs", "<a href=\"" + E(view.BasePath + "/?workflow=" + Uri.EscapeDataString(workflow.Id)) + "\">see runs of this workflow</a>");
            b.Append("</dl>");

            b.Append("<h3>Diagram</h3>").Append(DashboardDiagram.Render(view, workflow));

            var formId = "trigger-" + workflow.Id;
            b.Append("<form method=\"post\" action=\"").Append(E(view.BasePath + "/workflows/" + Uri.EscapeDataString(workflow.Id) + "/trigger")).Append("\" class=\"stack trigger\">")
                .Append(Token(view))
                .Append("<h3>Trigger a run</h3>")
                .Append("<label for=\"").Append(E(formId)).Append("-payload\">Payload (JSON)</label><textarea id=\"").Append(E(formId)).Append("-payload\" name=\"payload\" rows=\"3\" spellcheck=\"false\"></textarea>")
                .Append("<label for=\"").Append(E(formId)).Append("-run\">Run id (optional)</label><input type=\"text\" id=\"").Append(E(formId)).Append("-run\" name=\"runId\">")
                .Append("<div><button type=\"submit\">Trigger</button></div></form>");
            b.Append("</section>");
        }

        return Layout(view, "Workflows", "workflows", notice, b.ToString());
    }
}
