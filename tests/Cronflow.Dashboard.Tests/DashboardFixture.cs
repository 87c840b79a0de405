using Cronflow.Samples;
using Microsoft.Playwright;

namespace Cronflow.Dashboard.Tests;

/// <summary>
/// One in-memory Cronflow host serving the sample workflows and a few test workflows on a loopback port, and one
/// headless Chromium (the Debian <c>chromium</c> binary, driven by Playwright) shared by the browser tests.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>Where the browser is. Browser downloads fail on the build machines: the distribution's package is used.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public CronflowHost Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string BaseUrl => Host.Urls[0].TrimEnd('/');

    public async Task InitializeAsync()
    {
        Host = await StartHostAsync(apiKey: null);
        Browser = await LaunchBrowserAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context (own cookies) at a laptop's screen size, and a page in it.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 860 } });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>A host with every sample workflow and the test workflows, listening on a free loopback port.</summary>
    public static Task<CronflowHost> StartHostAsync(string? apiKey) => CronflowHost.StartAsync(
        c =>
        {
            foreach (var workflow in SampleWorkflows.All.Concat(DurableSamples.All).Concat(TestWorkflows.All))
            {
                c.AddWorkflow(workflow);
            }

            c.Services.AddSampleServices().AddDurableSampleServices();
        },
        o =>
        {
            o.ListenOn("http://127.0.0.1:0");
            o.ApiKey = apiKey;
            o.RunSchedules = false;
        });

    private async Task<IBrowser> LaunchBrowserAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            // Never skipped: CI installs the package (.ci/run) and a machine without it fails here, saying why.
            throw new InvalidOperationException($"The browser tests need Chromium at {ChromiumPath}: install it with `apt-get install -y chromium`.");
        }

        _playwright = await Playwright.CreateAsync();
        return await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Args = ["--no-sandbox"],
            Headless = true,
        });
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
