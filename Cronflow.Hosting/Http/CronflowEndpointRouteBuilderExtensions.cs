using System.Security.Cryptography;
using System.Text;
using Cronflow.Dashboard;
using Cronflow.Hosting;
using Cronflow.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cronflow;

/// <summary>
/// Who may use the endpoints <c>MapCronflowApi</c> and <c>MapCronflowDashboard</c> add. By default the application
/// decides: its authentication and authorization (<c>.RequireAuthorization()</c> on the returned builder) are all there
/// is. The local host (<see cref="CronflowHost"/> with <see cref="CronflowHostOptions.ListenOn"/>) maps the same
/// endpoints with <see cref="LoopbackOnly"/> when it has no key, and with <see cref="ApiKey"/> when it has one.
/// </summary>
public sealed class CronflowEndpointOptions
{
    /// <summary>
    /// A key the management routes require as well (header <c>x-api-key</c> or <c>Authorization: Bearer</c>, compared in
    /// constant time), and that signs browsers in to the dashboard. Default: none.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Answer only requests addressed to <c>localhost</c>, <c>127.0.0.1</c> or <c>[::1]</c>, and refuse requests that
    /// name another origin (403 <c>forbidden_host</c> / <c>forbidden_origin</c>): the defence of a keyless host on
    /// loopback against web pages (DNS rebinding, cross-site requests). Default: false.
    /// </summary>
    public bool LoopbackOnly { get; set; }
}

/// <summary>Serves the Cronflow HTTP API and the run inspector inside an ASP.NET Core application.</summary>
public static class CronflowEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the Cronflow HTTP API below <paramref name="prefix"/>: the management routes (trigger, runs, events, resume,
    /// cancel, replay), the webhooks at <paramref name="prefix"/> + their path, and <c>/health</c>. Needs
    /// <c>AddCronflowHost</c>.
    /// </summary>
    /// <remarks>
    /// Conventions added to the returned builder (such as <c>.RequireAuthorization()</c>) cover the management routes.
    /// Webhooks and <c>/health</c> stay anonymous: senders such as GitHub or Stripe cannot sign in to the application,
    /// so webhooks follow their own rules (<see cref="WebhookOptions"/>: secrets, signatures, required headers).
    /// </remarks>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="prefix">A literal path, such as <c>/api</c>.</param>
    /// <param name="configure">Adds an API key or the loopback-only rules; by default the application's authorization decides.</param>
    /// <returns>The builder of every endpoint added.</returns>
    public static IEndpointConventionBuilder MapCronflowApi(this IEndpointRouteBuilder endpoints, string prefix = "/api", Action<CronflowEndpointOptions>? configure = null)
    {
        var (engine, path, options) = Prepare(endpoints, prefix, configure);
        var digest = options.ApiKey is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.ApiKey));
        var api = new Lazy<CronflowHttpApi>(() => new CronflowHttpApi(
            engine.Client, engine.Registry, engine.CronflowOptions, engine.Options.TimeProvider, engine.LoggerFactory.CreateLogger(Log.HttpCategory)));

        var group = endpoints.MapGroup(path);
        foreach (var template in ApiRoutes.All.Where(r => r.Management).Select(r => r.Template).Distinct(StringComparer.Ordinal))
        {
            group.Map(template, context => LocalHttpServer.HandleAsync(context, api.Value, path, options, digest, managementEndpoint: true));
        }

        group.Map("{**path}", context => LocalHttpServer.HandleAsync(context, api.Value, path, options, digest, managementEndpoint: false))
            .AllowAnonymous();
        return group;
    }

    /// <summary>
    /// Serves the run inspector (runs, a run's timeline, workflow diagrams, and the forms that cancel, replay, resume,
    /// raise events and trigger) below <paramref name="prefix"/>. Needs <c>AddCronflowHost</c>.
    /// </summary>
    /// <remarks>
    /// Form posts carry an anti-forgery token and are refused from other origins; every page carries a
    /// Content-Security-Policy. Add <c>.RequireAuthorization()</c> to the returned builder to put the pages behind the
    /// application's sign-in.
    /// </remarks>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="prefix">A literal path, such as <c>/dashboard</c>.</param>
    /// <param name="configure">Adds a sign-in key or the loopback-only rules; by default the application's authorization decides.</param>
    /// <returns>The builder of the dashboard's endpoints.</returns>
    public static IEndpointConventionBuilder MapCronflowDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/dashboard", Action<CronflowEndpointOptions>? configure = null)
    {
        var (engine, path, options) = Prepare(endpoints, prefix, configure);
        var dashboard = new Lazy<CronflowDashboard>(() => new CronflowDashboard(
            engine.Client, engine.Registry, engine.Options.TimeProvider, options.ApiKey, engine.LoggerFactory.CreateLogger(Log.DashboardCategory))
        {
            RequireLoopback = options.LoopbackOnly,
        });

        var group = endpoints.MapGroup(path);
        group.Map("{**path}", context => LocalHttpServer.HandleDashboardAsync(context, dashboard.Value, path));
        return group;
    }

    private static (CronflowEngine Engine, PathString Prefix, CronflowEndpointOptions Options) Prepare(
        IEndpointRouteBuilder endpoints, string prefix, Action<CronflowEndpointOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (!prefix.StartsWith('/') || prefix.Contains('{', StringComparison.Ordinal) || prefix.Contains('*', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The prefix '{prefix}' must be a literal path starting with '/', such as \"/api\".", nameof(prefix));
        }

        var engine = endpoints.ServiceProvider.GetService<CronflowEngine>()
            ?? throw new InvalidOperationException("Cronflow is not registered: call builder.Services.AddCronflowHost(...) before mapping its endpoints.");
        var options = new CronflowEndpointOptions();
        configure?.Invoke(options);
        if (options.ApiKey is { Length: < 16 })
        {
            throw new ArgumentException("CronflowEndpointOptions.ApiKey must be at least 16 characters.", nameof(configure));
        }

        return (engine, new PathString(prefix.TrimEnd('/')), options);
    }
}
