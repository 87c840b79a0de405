using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Cronflow.Dashboard;

/// <summary>Renders the dashboard's pages as HTML. Every value from a run or a definition goes through <see cref="E"/>.</summary>
internal static partial class DashboardPages
{
    // Relaxed escaping keeps "<" and quotes readable: every value is HTML-escaped after serialization.
    private static readonly JsonSerializerOptions Indented = new(CronflowJson.Options) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] WaitKinds = ["sleep", "waitForEvent", "humanInTheLoop"];

    // ---- runs -------------------------------------------------------------------------------

    public static string Runs(
        DashboardView view,
        WorkflowRegistry registry,
        RunsFilter filter,
        RunPage page,
        Dictionary<RunStatus, int> counts,
        bool countsComplete,
        IReadOnlyList<string> problems,
        DashboardNotice? notice)
    {
        var b = new StringBuilder();
        b.Append("<h1>Runs</h1>");
        b.Append("<section aria-labelledby=\"counts-title\"><h2 id=\"counts-title\" class=\"sr-only\">Runs per status</h2><ul class=\"counts\">");
        b.Append("<li><a href=\"").Append(E(view.BasePath + "/" + filter.ToQueryString(clearStatus: true))).Append("\" class=\"count")
            .Append(filter.Status is null ? " current\" aria-current=\"true" : "").Append("\">All <span class=\"n\">")
            .Append(counts.Values.Sum().ToString(CultureInfo.InvariantCulture)).Append(countsComplete ? "" : "+").Append("</span></a></li>");
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            b.Append("<li><a href=\"").Append(E(view.BasePath + "/" + filter.ToQueryString(status: status))).Append("\" class=\"count s-").Append(Lower(status))
                .Append(filter.Status == status ? " current\" aria-current=\"true" : "").Append("\" data-status=\"").Append(status).Append("\">")
                .Append(status).Append(" <span class=\"n\">").Append(counts.GetValueOrDefault(status).ToString(CultureInfo.InvariantCulture))
                .Append(countsComplete ? "" : "+").Append("</span></a></li>");
        }

        b.Append("</ul></section>");

        b.Append("<form method=\"get\" action=\"").Append(E(view.BasePath + "/")).Append("\" class=\"filters\" role=\"search\" aria-label=\"Filter runs\">");
        b.Append("<div><label for=\"f-workflow\">Workflow</label><select id=\"f-workflow\" name=\"workflow\"><option value=\"\">All workflows</option>");
        foreach (var workflow in registry.All.OrderBy(w => w.Id, StringComparer.Ordinal))
        {
            b.Append("<option value=\"").Append(E(workflow.Id)).Append('"').Append(filter.WorkflowId == workflow.Id ? " selected" : "").Append('>').Append(E(workflow.Id)).Append("</option>");
        }

        b.Append("</select></div><div><label for=\"f-status\">Status</label><select id=\"f-status\" name=\"status\"><option value=\"\">Any status</option>");
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            b.Append("<option").Append(filter.Status == status ? " selected" : "").Append('>').Append(status).Append("</option>");
        }

        b.Append("</select></div>");
        b.Append("<div><label for=\"f-from\">Created from (UTC)</label><input type=\"datetime-local\" id=\"f-from\" name=\"from\" value=\"").Append(filter.From is { } from ? RunsFilter.FormatLocal(from) : "").Append("\"></div>");
        b.Append("<div><label for=\"f-to\">Created before (UTC)</label><input type=\"datetime-local\" id=\"f-to\" name=\"to\" value=\"").Append(filter.To is { } to ? RunsFilter.FormatLocal(to) : "").Append("\"></div>");
        b.Append("<div><label for=\"f-run\">Run id starts with</label><input type=\"search\" id=\"f-run\" name=\"run\" value=\"").Append(E(filter.RunIdPrefix)).Append("\"></div>");
        b.Append("<div class=\"buttons\"><button type=\"submit\">Filter</button> <a href=\"").Append(E(view.BasePath + "/")).Append("\">Clear</a></div></form>");

        foreach (var problem in problems)
        {
            b.Append("<p class=\"notice error\" role=\"alert\">").Append(E(problem)).Append("</p>");
        }

        b.Append("<form method=\"post\" action=\"").Append(E(view.BasePath + "/bulk")).Append("\" id=\"bulk\">").Append(Token(view));
        b.Append("<div class=\"toolbar\" role=\"group\" aria-label=\"Actions on the selected runs\"><span>Selected runs:</span>")
            .Append("<button type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button>")
            .Append("<button type=\"submit\" name=\"action\" value=\"replay\">Replay</button></div>");
        b.Append("<table class=\"runs\"><caption class=\"sr-only\">Runs, newest first</caption><thead><tr>")
            .Append("<th scope=\"col\"><input type=\"checkbox\" id=\"select-all\" aria-label=\"Select every run on this page\"></th>")
            .Append("<th scope=\"col\">Run</th><th scope=\"col\">Workflow</th><th scope=\"col\">Status</th><th scope=\"col\">Created (UTC)</th><th scope=\"col\">Duration</th><th scope=\"col\">Steps</th></tr></thead><tbody>");
        if (page.Runs.Count == 0)
        {
            b.Append("<tr><td colspan=\"7\" class=\"empty\">No runs match.</td></tr>");
        }

        foreach (var run in page.Runs)
        {
            b.Append("<tr data-run-id=\"").Append(E(run.Id)).Append("\"><td><input type=\"checkbox\" name=\"runId\" value=\"").Append(E(run.Id))
                .Append("\" aria-label=\"Select run ").Append(E(run.Id)).Append("\"></td>")
                .Append("<td><a class=\"mono\" href=\"").Append(E(CronflowDashboard.RunUrl(view, run.Id))).Append("\">").Append(E(run.Id)).Append("</a></td>")
                .Append("<td>").Append(E(run.WorkflowId)).Append("</td><td>").Append(Badge(run.Status)).Append("</td><td>").Append(Time(run.CreatedAt)).Append("</td><td>")
                .Append(E(Duration((run.CompletedAt ?? view.Now) - run.CreatedAt))).Append(run.IsFinished ? "" : " so far").Append("</td><td>")
                .Append(run.Steps.Count.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>");
        }

        b.Append("</tbody></table></form>");
        b.Append("<nav class=\"pager\" aria-label=\"Pages\">");
        if (filter.ContinuationToken is not null)
        {
            b.Append("<a href=\"").Append(E(view.BasePath + "/" + filter.ToQueryString())).Append("\">First page</a>");
        }

        if (page.ContinuationToken is not null)
        {
            b.Append("<a href=\"").Append(E(view.BasePath + "/" + (filter with { ContinuationToken = page.ContinuationToken }).ToQueryString(withPage: true))).Append("\" rel=\"next\">Next page</a>");
        }

        b.Append("</nav>");
        return Layout(view, "Runs", "runs", notice, b.ToString());
    }

    // ---- one run ----------------------------------------------------------------------------

    public static string Run(DashboardView view, RunInfo run, WorkflowDefinition? workflow, DashboardNotice? notice)
    {
        var url = CronflowDashboard.RunUrl(view, run.Id);
        var b = new StringBuilder();
        b.Append("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"").Append(E(view.BasePath + "/")).Append("\">Runs</a> › <span class=\"mono\">").Append(E(run.Id)).Append("</span></nav>");
        b.Append("<h1>Run <span class=\"mono\">").Append(E(run.Id)).Append("</span></h1>");
        b.Append("<div id=\"live\" data-src=\"").Append(E(url + "?fragment=live")).Append("\">").Append(RunLive(view, run, workflow)).Append("</div>");

        b.Append("<section class=\"panel\" aria-labelledby=\"actions-title\"><h2 id=\"actions-title\">Actions</h2><div class=\"actions\">");
        if (!run.IsFinished)
        {
            b.Append("<form method=\"post\" action=\"").Append(E(url + "/cancel")).Append("\" class=\"inline\">").Append(Token(view))
                .Append("<label>Reason <input type=\"text\" name=\"reason\" placeholder=\"optional\"></label><button type=\"submit\" class=\"danger\">Cancel</button></form>");
        }

        b.Append("<form method=\"post\" action=\"").Append(E(url + "/replay")).Append("\" class=\"inline\">").Append(Token(view))
            .Append("<button type=\"submit\">Replay</button><span class=\"hint\">starts a new run with the same payload</span></form>");
        b.Append("</div></section>");

        b.Append("<section class=\"panel\" aria-labelledby=\"payload-title\"><h2 id=\"payload-title\">Payload</h2>").Append(Json(run.Payload)).Append("</section>");

        b.Append("<section class=\"panel\" aria-labelledby=\"event-title\"><h2 id=\"event-title\">Raise an event</h2>");
        b.Append("<form method=\"post\" action=\"").Append(E(url + "/events")).Append("\" class=\"stack\">").Append(Token(view))
            .Append("<label for=\"event-name\">Event name</label><input type=\"text\" id=\"event-name\" name=\"eventName\" required")
            .Append(workflow is null ? "" : WaitedEvent(workflow)).Append('>')
            .Append("<label for=\"event-payload\">Payload (JSON, optional)</label><textarea id=\"event-payload\" name=\"payload\" rows=\"3\" spellcheck=\"false\"></textarea>")
            .Append("<div><button type=\"submit\">Raise event</button></div></form></section>");
        return Layout(view, "Run " + run.Id, "runs", notice, b.ToString());
    }

    /// <summary>The part of a run's page that the script refreshes while the run is live.</summary>
    public static string RunLive(DashboardView view, RunInfo run, WorkflowDefinition? workflow)
    {
        var url = CronflowDashboard.RunUrl(view, run.Id);
        var b = new StringBuilder();
        b.Append("<div data-status=\"").Append(run.Status).Append("\" data-finished=\"").Append(run.IsFinished ? "true" : "false").Append("\"></div>");
        b.Append("<dl class=\"facts\">");
        Fact(b, "Status", "<span id=\"run-status\" role=\"status\">" + Badge(run.Status) + "</span>" + (run.IsFinished ? "" : " <span class=\"hint live-hint\">updates live</span>"));
        Fact(b, "Workflow", "<a href=\"" + E(view.BasePath + "/workflows#wf-" + run.WorkflowId) + "\">" + E(workflow?.Name ?? run.WorkflowId) + "</a> <span class=\"mono hint\">" + E(run.WorkflowId) + "</span>");
        Fact(b, "Created", Time(run.CreatedAt));
        if (run.CompletedAt is { } completed)
        {
            Fact(b, "Finished", Time(completed));
        }

        Fact(b, "Duration", E(Duration((run.CompletedAt ?? view.Now) - run.CreatedAt)) + (run.IsFinished ? "" : " so far"));
        if (run.WaitingFor is { } waitingFor)
        {
            Fact(b, "Waiting for", E(waitingFor));
        }

        if (run.ReplayOf is { } replayOf)
        {
            Fact(b, "Replay of", "<a class=\"mono\" href=\"" + E(CronflowDashboard.RunUrl(view, replayOf)) + "\">" + E(replayOf) + "</a>");
        }

        b.Append("</dl>");

        if (run.Pauses.Count > 0)
        {
            b.Append("<section class=\"panel pauses\" aria-labelledby=\"pauses-title\"><h2 id=\"pauses-title\">Waiting for a decision</h2>");
            var i = 0;
            foreach (var pause in run.Pauses)
            {
                var id = "resume-" + (i++).ToString(CultureInfo.InvariantCulture);
                b.Append("<form method=\"post\" action=\"").Append(E(url + "/resume")).Append("\" class=\"stack pause\">").Append(Token(view))
                    .Append("<input type=\"hidden\" name=\"token\" value=\"").Append(E(pause.Token)).Append("\">")
                    .Append("<p><strong>").Append(E(pause.Step)).Append("</strong>").Append(pause.Description.Length > 0 ? ": " + E(pause.Description) : "")
                    .Append(pause.ExpiresAt is { } expires ? " <span class=\"hint\">(times out " + Time(expires) + ")</span>" : "").Append("</p>")
                    .Append("<label for=\"").Append(id).Append("\">Resume payload (JSON)</label>")
                    .Append("<textarea id=\"").Append(id).Append("\" name=\"payload\" rows=\"3\" spellcheck=\"false\" placeholder=\"{&quot;approved&quot;: true}\"></textarea>")
                    .Append("<div><button type=\"submit\">Resume</button></div></form>");
            }

            b.Append("</section>");
        }

        if (run.Error is { } error)
        {
            b.Append("<section class=\"panel\" aria-labelledby=\"error-title\"><h2 id=\"error-title\">Error</h2>").Append(ErrorBlock(error)).Append("</section>");
        }

        if (run.Status == RunStatus.Completed || !run.Output.IsNull)
        {
            b.Append("<section class=\"panel\" aria-labelledby=\"output-title\"><h2 id=\"output-title\">Output</h2>").Append(Json(run.Output)).Append("</section>");
        }

        b.Append("<section class=\"panel\" aria-labelledby=\"timeline-title\"><h2 id=\"timeline-title\">Timeline</h2>").Append(Timeline(view, run, workflow)).Append("</section>");
        return b.ToString();
    }

    // ---- sign-in and errors -----------------------------------------------------------------

    public static string SignIn(DashboardView view, string? problem)
    {
        var b = new StringBuilder("<h1>Sign in</h1>");
        if (problem is not null)
        {
            b.Append("<p class=\"notice error\" role=\"alert\">").Append(E(problem)).Append("</p>");
        }

        b.Append("<form method=\"post\" action=\"").Append(E(view.BasePath + "/signin")).Append("\" class=\"stack narrow\">").Append(Token(view))
            .Append("<label for=\"key\">API key</label><input type=\"password\" id=\"key\" name=\"key\" autocomplete=\"current-password\" required autofocus>")
            .Append("<div><button type=\"submit\">Sign in</button></div></form>")
            .Append("<p class=\"hint\">The key is the host's API key (CronflowHostOptions.ApiKey, or the Functions app's dashboard key setting).</p>");
        return Layout(view with { Keyed = false }, "Sign in", "", null, b.ToString());
    }

    public static string NotFound(DashboardView view, string message) =>
        Layout(view, "Not found", "", null, "<h1>Not found</h1><p>" + E(message) + "</p><p><a href=\"" + E(view.BasePath + "/") + "\">Back to the runs</a></p>");

    // ---- shared pieces ----------------------------------------------------------------------

    private static string Layout(DashboardView view, string title, string current, DashboardNotice? notice, string content)
    {
        var b = new StringBuilder();
        b.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(title)).Append(" · Cronflow</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(E(view.BasePath + "/assets/dashboard.css")).Append("\">")
            .Append("<script src=\"").Append(E(view.BasePath + "/assets/dashboard.js")).Append("\" defer></script></head><body>")
            .Append("<a class=\"skip\" href=\"#main\">Skip to content</a><header class=\"top\"><nav aria-label=\"Main\"><a class=\"brand\" href=\"")
            .Append(E(view.BasePath + "/")).Append("\">Cronflow</a>");
        NavLink(b, view.BasePath + "/", "Runs", current == "runs");
        NavLink(b, view.BasePath + "/workflows", "Workflows", current == "workflows");
        b.Append("</nav>");
        if (view.Keyed)
        {
            b.Append("<form method=\"post\" action=\"").Append(E(view.BasePath + "/signout")).Append("\" class=\"signout\">").Append(Token(view)).Append("<button type=\"submit\">Sign out</button></form>");
        }

        b.Append("</header><main id=\"main\" tabindex=\"-1\">");
        if (notice is not null)
        {
            b.Append("<p class=\"notice").Append(notice.IsError ? " error\" role=\"alert\"" : "\" role=\"status\"").Append('>').Append(E(notice.Text)).Append("</p>");
        }

        return b.Append(content).Append("</main></body></html>").ToString();
    }

    private static void NavLink(StringBuilder b, string href, string text, bool current) =>
        b.Append("<a href=\"").Append(E(href)).Append('"').Append(current ? " aria-current=\"page\"" : "").Append('>').Append(text).Append("</a>");

    private static void Fact(StringBuilder b, string name, string html) => b.Append("<div><dt>").Append(name).Append("</dt><dd>").Append(html).Append("</dd></div>");

    private static string Token(DashboardView view) => "<input type=\"hidden\" name=\"" + CronflowDashboard.AntiforgeryField + "\" value=\"" + view.AntiforgeryToken + "\">";

    private static string WaitedEvent(WorkflowDefinition workflow) =>
        NodeWalker.Walk(workflow.Nodes).OfType<WaitForEventNode>().FirstOrDefault() is { } wait ? " value=\"" + E(wait.EventName) + "\"" : "";

    private static string Badge(RunStatus status) => "<span class=\"badge s-" + Lower(status) + "\">" + status + "</span>";

    private static string Badge(StepStatus status) => "<span class=\"badge s-" + Lower(status) + "\">" + status + "</span>";

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    internal static string KindLabel(string kind) => kind switch
    {
        "waitForEvent" => "wait for event",
        "humanInTheLoop" => "human approval",
        "forEach" => "for each",
        _ => kind,
    };

    private static string Json(FlowValue value) =>
        "<pre class=\"json\">" + E(value.IsNull ? "null" : JsonSerializer.Serialize(value.Json, Indented)) + "</pre>";

    private static string Time(DateTimeOffset time) =>
        "<time datetime=\"" + time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) + "\">" + time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + "</time>";

    internal static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        return duration.TotalMilliseconds < 1000 ? ((int)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + " ms"
            : duration.TotalSeconds < 60 ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
            : duration.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes}m {duration.Seconds:00}s")
            : duration.TotalDays < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}h {duration.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalDays}d {duration.Hours:00}h");
    }

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>HTML-escapes a value for text and attribute positions.</summary>
    internal static string E(string? value) => WebUtility.HtmlEncode(value ?? "");
}
