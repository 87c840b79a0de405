using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cronflow.Tests.Hosting;

public sealed class AspNetCoreEndpointsTests
{
    private const string UserHeader = "x-test-user";

    private static IWorkflowBuilder Orders() => Workflow.Define("orders")
        .OnWebhook("/hooks/orders")
        .Step("accept", ctx => new { accepted = ctx.Payload["orderId"].As<string>() });

    [Fact]
    public async Task MapCronflowApi_RequireAuthorization_RefusesAnonymousAndServesSignedIn()
    {
        await using var app = await StartAppAsync();
        using var http = Client(app);

        var anonymous = await http.PostAsync("/api/workflows/orders/runs", Json(new { orderId = "A-1" }));
        using var signedIn = new HttpRequestMessage(HttpMethod.Post, "/api/workflows/orders/runs") { Content = Json(new { orderId = "A-2" }) };
        signedIn.Headers.Add(UserHeader, "ada");
        var accepted = await http.SendAsync(signedIn);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        var run = await app.Services.GetRequiredService<ICronflowClient>().WaitForRunAsync(runId, TimeSpan.FromSeconds(20));
        Assert.Equal("A-2", run.Output["accepted"].As<string>());
    }

    [Fact]
    public async Task MapCronflowApi_RequireAuthorization_WebhooksAndHealthStayAnonymous()
    {
        await using var app = await StartAppAsync();
        using var http = Client(app);

        var webhook = await http.PostAsync("/api/hooks/orders", Json(new { orderId = "W-1" }));
        var health = await http.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.Accepted, webhook.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task MapCronflowDashboard_RequireAuthorization_ServesRunsPageToSignedInUserOnAnyHostName()
    {
        await using var app = await StartAppAsync();
        using var http = Client(app);
        var client = app.Services.GetRequiredService<ICronflowClient>();
        var runId = await client.TriggerAsync("orders", new { orderId = "D-1" }, "dashboard-run-1");
        await client.WaitForRunAsync(runId, TimeSpan.FromSeconds(20));

        var anonymous = await http.GetAsync("/dashboard/");
        using var page = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        page.Headers.Add(UserHeader, "ada");
        // Inside an application its authorization decides: no loopback-only rule for the Host header.
        page.Headers.Host = "cronflow.example.com";
        var runs = await http.SendAsync(page);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, runs.StatusCode);
        var html = await runs.Content.ReadAsStringAsync();
        Assert.Contains("/dashboard/runs/dashboard-run-1", html, StringComparison.Ordinal);
        Assert.NotNull(runs.Headers.GetValues("Content-Security-Policy").Single());
    }

    private static async Task<WebApplication> StartAppAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddCronflowHost(c => c.AddWorkflow(Orders()));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapCronflowApi("/api").RequireAuthorization();
        app.MapCronflowDashboard("/dashboard").RequireAuthorization();
        await app.StartAsync();
        return app;
    }

    private static HttpClient Client(WebApplication app) => new() { BaseAddress = new Uri(app.Urls.Single()) };

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    /// <summary>Signs in whoever names themselves in <see cref="UserHeader"/>; challenges with 401 otherwise.</summary>
    private sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "TestHeader";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (Request.Headers[UserHeader].ToString() is not { Length: > 0 } user)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
