using System.Text.Json;
using System.Text.RegularExpressions;
using Cronflow.Samples;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cronflow.Dashboard.Tests;

/// <summary>The run inspector's pages, driven in headless Chromium against a real in-memory host.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardPageTests(DashboardFixture fixture)
{
    private readonly CronflowHost _host = fixture.Host;

    private string Dashboard => fixture.BaseUrl + "/dashboard";

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    [Fact]
    public async Task Root_Browsed_RedirectsToTheRunsList()
    {
        var page = await fixture.NewPageAsync();

        var response = await page.GotoAsync(fixture.BaseUrl + "/");

        Assert.Equal(Dashboard + "/", page.Url);
        Assert.Equal(200, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Runs", Exact = true })).ToBeVisibleAsync();
        var csp = await response.HeaderValueAsync("content-security-policy");
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunsList_Filters_ShowOnlyMatchingRuns()
    {
        var prefix = Unique("list");
        var echo = await _host.Client.TriggerAsync(TestWorkflows.Echo, new { n = 1 }, prefix + "-echo");
        var gated = await _host.Client.TriggerAsync(TestWorkflows.Gated, null, prefix + "-gated");
        await _host.Client.WaitForRunAsync(echo, TimeSpan.FromSeconds(30));
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(Dashboard + "/");
        await page.GetByLabel("Run id starts with").FillAsync(prefix);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        var rows = page.Locator("table.runs tbody tr[data-run-id]");
        await Expect(rows).ToHaveCountAsync(2);
        Assert.Equal([gated, echo], await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.runId)"));
        await Expect(page.Locator("a.count.current .n")).ToHaveTextAsync("2");
        await Expect(page.Locator("a.count[data-status=Completed] .n")).ToHaveTextAsync("1");

        await page.GetByLabel("Workflow", new() { Exact = true }).SelectOptionAsync(TestWorkflows.Echo);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-run-id", echo);

        await page.GetByLabel("Workflow", new() { Exact = true }).SelectOptionAsync("");
        await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("Completed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-run-id", echo);

        await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("");
        await page.GetByLabel("Created from (UTC)").FillAsync(DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(0);
        await Expect(page.Locator("td.empty")).ToHaveTextAsync("No runs match.");

        await page.GetByLabel("Created from (UTC)").FillAsync(DateTime.UtcNow.AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);

        await page.GetByRole(AriaRole.Link, new() { Name = echo }).ClickAsync();
        Assert.Equal(Dashboard + "/runs/" + echo, page.Url);
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed");
        await _host.Client.CancelAsync(gated);
    }

    [Fact]
    public async Task RunsList_Paging_WalksEveryRunOnce()
    {
        var prefix = Unique("page");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _host.Client.TriggerAsync(TestWorkflows.Echo, new { i }, $"{prefix}-{i}"));
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"{Dashboard}/?run={prefix}&pageSize=2");
        var seen = new List<string>();
        while (true)
        {
            seen.AddRange(await page.Locator("table.runs tbody tr[data-run-id]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.runId)"));
            var next = page.GetByRole(AriaRole.Link, new() { Name = "Next page" });
            if (await next.CountAsync() == 0)
            {
                break;
            }

            await next.ClickAsync();
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RunPage_Timeline_ShowsEveryStepWithAttemptsWaitsAndOutputs()
    {
        var runId = await _host.Client.TriggerAsync(TestWorkflows.Timeline, new { big = true }, Unique("timeline"));
        var run = await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Completed, run.Status);
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(Dashboard + "/runs/" + runId);

        var rows = page.Locator(".timeline details.tl-row");
        Assert.Equal(run.Steps.Select(s => s.Name), await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.step)"));
        Assert.Equal(
            ["fetch", "flaky", "fan-out", "pick", "big", "big-path", "sleep-1", "each-item", "done"],
            await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.step)"));
        var flaky = page.Locator("details.tl-row[data-step=flaky]");
        await Expect(flaky.Locator(".attempts")).ToHaveTextAsync("3 attempts");
        await Expect(flaky.Locator("rect.bar")).ToHaveCountAsync(3);
        await Expect(page.Locator("details.tl-row[data-step=sleep-1]")).ToHaveClassAsync(new Regex(@"\bwait\b"));
        await Expect(page.Locator("details.tl-row[data-step=big-path] .tl-label")).ToHaveClassAsync(new Regex(@"\bd1\b"));
        await Expect(page.Locator("details.tl-row[data-step=fan-out] .tl-more")).ToContainTextAsync("3 branches run side by side");

        // Bars sit where the steps ran: each starts at or after the previous record's start, and the last ends at the axis' end.
        var xs = await rows.EvaluateAllAsync<double[]>("rows => rows.map(r => parseFloat(r.querySelector('rect.bar').getAttribute('x')))");
        Assert.Equal(xs.Order(), xs);
        Assert.True(xs[^1] > xs[0], $"the bars are not spread over the axis: {string.Join(", ", xs)}");

        // Outputs on demand: hidden until the row is opened.
        var output = page.Locator("details.tl-row[data-step=flaky] .tl-more pre.json");
        await Expect(output).ToBeHiddenAsync();
        await flaky.Locator("summary").ClickAsync();
        await Expect(output).ToBeVisibleAsync();
        Assert.Equal(3, JsonDocument.Parse(await output.InnerTextAsync()).RootElement.GetProperty("attempt").GetInt32());
        await Expect(page.Locator("section[aria-labelledby=output-title] pre.json")).ToContainTextAsync("\"finished\": true");

        await Screenshots.SaveAsync(page, "run-timeline.png");
    }

    [Fact]
    public async Task RunPage_Timeline_DrawsAttemptsBranchLanesAndTheForEachGroup()
    {
        var runId = await _host.Client.TriggerAsync(TestWorkflows.Timeline, new { big = false }, Unique("lanes"));
        var run = await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Completed, run.Status);
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(Dashboard + "/runs/" + runId);

        // Retries: one bar per attempt, each at its own start (after the one before it and the backoff), failed ones marked.
        var attempts = page.Locator("details.tl-row[data-step=flaky] rect.bar.try");
        await Expect(attempts).ToHaveCountAsync(3);
        var numbers = await attempts.EvaluateAllAsync<string[]>("bars => bars.map(b => b.dataset.attempt)");
        Assert.Equal(["1", "2", "3"], numbers);
        var failed = await attempts.EvaluateAllAsync<bool[]>("bars => bars.map(b => b.classList.contains('failed'))");
        Assert.Equal([true, true, false], failed);
        var starts = await attempts.EvaluateAllAsync<double[]>("bars => bars.map(b => parseFloat(b.getAttribute('x')))");
        Assert.True(starts[0] < starts[1] && starts[1] < starts[2], $"the attempts do not follow each other: {string.Join(", ", starts)}");
        var flaky = page.Locator("details.tl-row[data-step=flaky]");
        await flaky.Locator("summary").ClickAsync();
        await Expect(flaky.Locator("ol.tries > li")).ToHaveCountAsync(3);
        await Expect(flaky.Locator("ol.tries > li").First).ToContainTextAsync("failed: attempt 1 failed");

        // A parallel block's branches: lanes right under the block, one row each, drawn at the same time.
        var fanOut = page.Locator("details.tl-row[data-step=fan-out] + .tl-lanes");
        await Expect(fanOut).ToHaveAttributeAsync("aria-label", "Branches of fan-out");
        var lanes = fanOut.Locator(".tl-lane");
        var names = await lanes.EvaluateAllAsync<string[]>("lanes => lanes.map(l => l.dataset.lane)");
        Assert.Equal(["fan-out[0]", "fan-out[1]", "fan-out[2]"], names);
        var tops = await lanes.EvaluateAllAsync<double[]>("lanes => lanes.map(l => l.getBoundingClientRect().top)");
        Assert.Equal(tops.Order(), tops);
        Assert.Equal(3, tops.Distinct().Count());
        var laneStarts = await lanes.EvaluateAllAsync<double[]>("lanes => lanes.map(l => parseFloat(l.querySelector('rect.bar').getAttribute('x')))");
        var laneEnds = await lanes.EvaluateAllAsync<double[]>("lanes => lanes.map(l => { const r = l.querySelector('rect.bar'); return parseFloat(r.getAttribute('x')) + parseFloat(r.getAttribute('width')); })");
        Assert.True(laneStarts.Max() < laneEnds.Min(), $"the branches did not run side by side: starts {string.Join(", ", laneStarts)}, ends {string.Join(", ", laneEnds)}");

        // A race: the winner marked, the loser abandoned.
        var pick = page.Locator("details.tl-row[data-step=pick] + .tl-lanes");
        await Expect(pick.Locator(".tl-lane.won")).ToHaveAttributeAsync("data-lane", "pick[1]");
        await Expect(pick.Locator(".tl-lane.won .winner")).ToHaveTextAsync("winner");
        await Expect(pick.Locator(".tl-lane[data-lane='pick[0]'] .badge")).ToHaveTextAsync("Skipped");

        // A for-each: its items grouped under it, with the count of each outcome.
        var each = page.Locator("details.tl-row[data-step=each-item] + .tl-lanes");
        await Expect(each).ToHaveAttributeAsync("aria-label", "Items of each-item");
        await Expect(each.Locator(".tl-counts .tl-label")).ToHaveTextAsync("3 items");
        await Expect(each.Locator(".tl-counts [data-count]")).ToHaveTextAsync(["3 completed", "0 failed", "0 skipped"]);
        await Expect(each.Locator(".tl-lane[data-lane]")).ToHaveCountAsync(3);
        await Expect(page.Locator("details.tl-row[data-step=sleep-1]")).ToHaveClassAsync(new Regex(@"\bwait\b"));

        await Screenshots.SaveAsync(page.Locator("section[aria-labelledby=timeline-title]"), "run-timeline-lanes.png");
    }

    [Fact]
    public async Task RunPage_PausedRun_IsResumedFromItsForm()
    {
        var runId = await _host.Client.TriggerAsync(DurableSampleIds.RefundApproval, new RefundRequest("R-" + Guid.NewGuid().ToString("N")[..6], 42.50m, "damaged"), Unique("refund"));
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(Dashboard + "/runs/" + runId);
        var form = page.Locator("form.pause");
        await Expect(form).ToContainTextAsync("manager-approval: Approve or reject the refund");
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Waiting");
        await form.GetByLabel("Resume payload (JSON)").FillAsync("{\"approved\": true, \"approvedBy\": \"ana\"}");
        await form.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();

        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Resumed.");
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed");
        await Expect(page.Locator("section[aria-labelledby=output-title] pre.json")).ToContainTextAsync("\"by\": \"ana\"");
        var run = await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        Assert.Equal("ana", run.Output["by"].As<string>());
        Assert.Equal(42.50m, run.Output["refunded"].As<decimal>());
    }

    [Fact]
    public async Task RunPage_Cancel_CancelsTheRun()
    {
        var runId = await _host.Client.TriggerAsync(TestWorkflows.Gated, null, Unique("cancel"));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Dashboard + "/runs/" + runId);
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Waiting");

        await page.GetByLabel("Reason").FillAsync("not needed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();

        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Cancelled");
        await Expect(page.Locator("section[aria-labelledby=error-title]")).ToContainTextAsync("not needed");
        var run = await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("not needed", run.Error!.Message);
    }

    [Fact]
    public async Task RunPage_Replay_OpensTheNewRunWithTheSamePayload()
    {
        var runId = await _host.Client.TriggerAsync(TestWorkflows.Echo, new { order = "A-7" }, Unique("replay"));
        await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Dashboard + "/runs/" + runId);

        await page.GetByRole(AriaRole.Button, new() { Name = "Replay", Exact = true }).ClickAsync();

        await Expect(page.Locator("p.notice")).ToHaveTextAsync($"Replay of {runId} started.");
        var newId = Uri.UnescapeDataString(new Uri(page.Url).AbsolutePath.Split('/')[^1]);
        Assert.NotEqual(runId, newId);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = runId })).ToBeVisibleAsync();
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed");
        var replay = await _host.Client.WaitForRunAsync(newId, TimeSpan.FromSeconds(30));
        Assert.Equal(runId, replay.ReplayOf);
        Assert.Equal("A-7", replay.Output["order"].As<string>());
    }

    [Fact]
    public async Task RunsList_BulkCancelAndReplay_ActOnTheSelectedRuns()
    {
        var prefix = Unique("bulk");
        var first = await _host.Client.TriggerAsync(TestWorkflows.Gated, null, prefix + "-1");
        var second = await _host.Client.TriggerAsync(TestWorkflows.Gated, null, prefix + "-2");
        var untouched = await _host.Client.TriggerAsync(TestWorkflows.Gated, null, prefix + "-3");
        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"{Dashboard}/?run={prefix}");

        await page.GetByLabel("Select run " + first).CheckAsync();
        await page.GetByLabel("Select run " + second).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();

        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Cancel requested for 2 runs.");
        Assert.Equal(RunStatus.Cancelled, (await _host.Client.WaitForRunAsync(first, TimeSpan.FromSeconds(30))).Status);
        Assert.Equal(RunStatus.Cancelled, (await _host.Client.WaitForRunAsync(second, TimeSpan.FromSeconds(30))).Status);
        Assert.Equal(RunStatus.Waiting, (await _host.Client.GetRunAsync(untouched))!.Status);

        await page.GotoAsync($"{Dashboard}/?run={prefix}&status=Cancelled");
        await Expect(page.Locator("table.runs tbody tr[data-run-id]")).ToHaveCountAsync(2);
        await page.GetByLabel("Select every run on this page").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Replay", Exact = true }).ClickAsync();

        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Replayed 2 runs.");
        var replays = (await _host.Client.ListRunsAsync(new RunQuery { WorkflowId = TestWorkflows.Gated, PageSize = 1000 })).Runs
            .Where(r => r.ReplayOf is { } of && of.StartsWith(prefix, StringComparison.Ordinal)).Select(r => r.ReplayOf).Order(StringComparer.Ordinal);
        Assert.Equal([first, second], replays);
        await _host.Client.CancelAsync(untouched);
    }

    [Fact]
    public async Task RunPage_Subflow_LinksToTheChildRun()
    {
        var runId = await _host.Client.TriggerAsync(DurableSampleIds.OrderIntake, new OrderIntakeRequest("A-9", 25m, "ada"), Unique("parent"));
        Assert.Equal(RunStatus.Completed, (await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30))).Status);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Dashboard + "/runs/" + runId);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true })).ToHaveCountAsync(0);

        var charge = page.Locator("details.tl-row[data-step=charge]");
        await charge.Locator("summary").ClickAsync();
        await charge.GetByRole(AriaRole.Link, new() { Name = runId + ":charge" }).ClickAsync();

        Assert.Equal(Dashboard + "/runs/" + Uri.EscapeDataString(runId + ":charge"), page.Url);
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed");
        await Expect(page.Locator("#live")).ToContainTextAsync(DurableSampleIds.Payment);
    }

    [Fact]
    public async Task RunPage_LiveRun_UpdatesWithoutReload()
    {
        var runId = await _host.Client.TriggerAsync(TestWorkflows.Gated, null, Unique("live"));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Dashboard + "/runs/" + runId);
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Waiting");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        await _host.Client.RaiseEventAsync(runId, "go", new { value = 7 });

        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed");
        await Expect(page.Locator("details.tl-row[data-step=finish]")).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
    }

    [Fact]
    public async Task RunPage_RaiseEventForm_DeliversTheEvent()
    {
        var runId = await _host.Client.TriggerAsync(TestWorkflows.Gated, null, Unique("event"));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Dashboard + "/runs/" + runId);
        await Expect(page.GetByLabel("Event name")).ToHaveValueAsync("go");

        await page.GetByLabel("Payload (JSON, optional)").FillAsync("{\"value\": 3}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Raise event" }).ClickAsync();

        await Expect(page.Locator("p.notice")).ToHaveTextAsync("Event 'go' sent.");
        var run = await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        Assert.Equal(3, run.Output["received"]["value"].As<int>());
    }

    [Fact]
    public async Task RunPage_ScriptInPayload_IsShownAsText()
    {
        const string Hostile = "<script>window.__xss = 1</script><img src=x onerror='window.__xss = 2'>";
        var runId = await _host.Client.TriggerAsync(TestWorkflows.Echo, new { note = Hostile }, Unique("xss"));
        await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(Dashboard + "/runs/" + runId);

        await Expect(page.Locator("section[aria-labelledby=payload-title] pre")).ToContainTextAsync(Hostile);
        await Expect(page.Locator("section[aria-labelledby=output-title] pre")).ToContainTextAsync(Hostile);
        Assert.Equal(0, await page.Locator("main script, main img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => typeof window.__xss === 'undefined'"));
    }

    [Fact]
    public async Task WorkflowsPage_Diagram_DrawsParallelLanesAndIfElseBranches()
    {
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(Dashboard + "/workflows");

        var section = page.Locator("#wf-" + SampleWorkflowIds.ConditionalParallel);
        var diagram = section.Locator(".diagram");
        var ifBlock = diagram.Locator(".node.block.if");
        await Expect(ifBlock.Locator(":scope > .lanes > .lane > .lane-label")).ToHaveTextAsync(["if needs-validation", "else"]);
        var parallel = ifBlock.Locator(".node.block.parallel");
        await Expect(parallel.Locator(".block-title .name")).ToHaveTextAsync("validation-checks");
        await Expect(parallel.Locator(".lanes > .lane")).ToHaveCountAsync(3);
        await Expect(ifBlock.Locator(".lane").Last.Locator(".node.step .name")).ToHaveTextAsync("process-simple-order");
        var lanes = await parallel.Locator(".lanes > .lane").EvaluateAllAsync<double[]>("lanes => lanes.map(l => l.getBoundingClientRect().top)");
        Assert.Single(lanes.Distinct());

        var intake = page.Locator("#wf-" + DurableSampleIds.OrderIntake);
        await Expect(intake).ToContainTextAsync("webhook POST /api/webhooks/orders");
        await Expect(intake.Locator(".node.subflow a")).ToHaveAttributeAsync("href", "/dashboard/workflows#wf-" + DurableSampleIds.Payment);
        await Expect(page.Locator("#wf-" + DurableSampleIds.PeriodicReport)).ToContainTextAsync("cron */5 * * * * UTC — next");
        await Expect(page.Locator("#wf-" + DurableSampleIds.RefundApproval + " .node.wait")).ToContainTextAsync("human approval");

        await Screenshots.SaveAsync(section, "workflow-diagram.png");
    }

    [Fact]
    public async Task WorkflowsPage_TriggerForm_StartsARunAndOpensIt()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Dashboard + "/workflows");
        var section = page.Locator("#wf-" + TestWorkflows.Echo);
        var runId = Unique("trigger");

        await section.GetByLabel("Payload (JSON)").FillAsync("{\"hello\": \"world\"}");
        await section.GetByLabel("Run id (optional)").FillAsync(runId);
        await section.GetByRole(AriaRole.Button, new() { Name = "Trigger" }).ClickAsync();

        Assert.Equal(Dashboard + "/runs/" + runId + "?notice=" + Uri.EscapeDataString($"Run of {TestWorkflows.Echo} started."), page.Url);
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed");
        var run = await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(30));
        Assert.Equal("world", run.Output["hello"].As<string>());

        await section.Page.GotoAsync(Dashboard + "/workflows");
        await page.Locator("#wf-" + TestWorkflows.Echo).GetByLabel("Payload (JSON)").FillAsync("{not json");
        await page.Locator("#wf-" + TestWorkflows.Echo).GetByRole(AriaRole.Button, new() { Name = "Trigger" }).ClickAsync();
        await Expect(page.Locator("p.notice.error")).ToContainTextAsync("The payload is not valid JSON");
    }

    [Fact]
    public async Task RunsList_SampleRuns_ShowEveryStatusAndCount()
    {
        // A host of its own, so that the list (and the screenshot in the docs) holds only these sample runs.
        await using var host = await DashboardFixture.StartHostAsync(apiKey: null);
        foreach (var id in new[] { SampleWorkflowIds.DataFetching, SampleWorkflowIds.ConditionalParallel, SampleWorkflowIds.RaceFallback, SampleWorkflowIds.BatchProcessing })
        {
            await host.Client.WaitForRunAsync(await host.Client.TriggerAsync(id, SamplePayloads.For(id)), TimeSpan.FromSeconds(30));
        }

        var failed = await host.Client.TriggerAsync(DurableSampleIds.OrderIntake, new OrderIntakeRequest("A-0", 0m, "bob"));
        await host.Client.WaitForRunAsync(failed, TimeSpan.FromSeconds(30));
        var cancelled = await host.Client.TriggerAsync(DurableSampleIds.Settlement, new { paymentId = "pay-17" });
        await host.Client.CancelAsync(cancelled, "duplicate payment");
        await host.Client.WaitForRunAsync(cancelled, TimeSpan.FromSeconds(30));
        var waiting = await host.Client.TriggerAsync(DurableSampleIds.RefundApproval, new RefundRequest("R-88", 19.90m, "late delivery"));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(host.Urls[0].TrimEnd('/') + "/dashboard/runs/" + waiting);
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Waiting");

        await page.GotoAsync(host.Urls[0].TrimEnd('/') + "/dashboard/");

        await Expect(page.Locator("table.runs tbody tr[data-run-id]")).ToHaveCountAsync(7);
        await Expect(page.Locator("a.count .n")).ToHaveTextAsync(["7", "0", "0", "1", "4", "1", "1"]);
        await Expect(page.Locator($"tr[data-run-id='{failed}'] .badge")).ToHaveTextAsync("Failed");
        await Expect(page.Locator($"tr[data-run-id='{cancelled}'] .badge")).ToHaveTextAsync("Cancelled");
        await Screenshots.SaveAsync(page, "runs-list.png");
    }
}
