using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cronflow.Dashboard.Tests;

/// <summary>Sign-in, cookies, anti-forgery and cross-site requests, in headless Chromium.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardSecurityTests(DashboardFixture fixture)
{
    private const string Key = "dashboard-test-key-0123456789";

    [Fact]
    public async Task KeyedHost_SignIn_SetsAnHttpOnlyStrictCookieAndOpensTheRuns()
    {
        await using var host = await DashboardFixture.StartHostAsync(Key);
        var dashboard = host.Urls[0].TrimEnd('/') + "/dashboard";
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(dashboard + "/");
        Assert.Equal(dashboard + "/signin", page.Url);
        await page.GetByLabel("API key").FillAsync("wrong-key-wrong-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That key is not right.");
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "cronflow_session");

        await page.GetByLabel("API key").FillAsync(Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        Assert.Equal(dashboard + "/", page.Url);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Runs", Exact = true })).ToBeVisibleAsync();
        var session = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "cronflow_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.Equal("/dashboard", session.Path);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        Assert.Equal(dashboard + "/signin", page.Url);
        await page.GotoAsync(dashboard + "/workflows");
        Assert.Equal(dashboard + "/signin", page.Url);
    }

    [Fact]
    public async Task KeyedHost_CrossSitePost_IsRefusedAndTheRunKeepsWaiting()
    {
        await using var host = await DashboardFixture.StartHostAsync(Key);
        var dashboard = host.Urls[0].TrimEnd('/') + "/dashboard";
        var runId = await host.Client.TriggerAsync(TestWorkflows.Gated, null, "cross-site-target");
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(dashboard + "/signin");
        await page.GetByLabel("API key").FillAsync(Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GotoAsync(dashboard + "/runs/" + runId);
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("Waiting");

        // Another site, in the same signed-in browser, posts a form at the dashboard's Cancel route.
        await page.RouteAsync("http://evil.example/**", route => route.FulfillAsync(new()
        {
            ContentType = "text/html",
            Body = $"<form method=post action=\"{dashboard}/runs/{runId}/cancel\"><input name=reason value=pwned><button>Go</button></form>",
        }));
        await page.GotoAsync("http://evil.example/");
        var answer = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Go" }).ClickAsync(), r => r.Url.Contains("/cancel", StringComparison.Ordinal));

        Assert.Equal(403, answer.Status);
        Assert.Contains("forbidden_origin", await answer.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(RunStatus.Waiting, (await host.Client.GetRunAsync(runId))!.Status);

        // Without the page's anti-forgery token, even a same-origin post is refused.
        var forged = await page.Context.APIRequest.PostAsync($"{dashboard}/runs/{runId}/cancel", new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            Data = "reason=forged",
        });
        Assert.Equal(403, forged.Status);
        Assert.Contains("anti-forgery", await forged.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(RunStatus.Waiting, (await host.Client.GetRunAsync(runId))!.Status);
        await host.Client.CancelAsync(runId);
    }

    [Fact]
    public async Task KeylessHost_ForeignHostName_IsRefused()
    {
        var page = await fixture.NewPageAsync();
        var response = await page.Context.APIRequest.GetAsync(fixture.BaseUrl + "/dashboard/", new()
        {
            Headers = new Dictionary<string, string> { ["Host"] = "attacker.example" },
        });

        Assert.Equal(403, response.Status);
        Assert.StartsWith("forbidden_host", await response.TextAsync(), StringComparison.Ordinal);
    }
}
