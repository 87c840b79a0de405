using System.Net;
using System.Security.Cryptography;
using System.Text;
using Cronflow.Dashboard;
using Cronflow.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cronflow.Hosting;

/// <summary>
/// The local host's listener, as a hosted service beside the engine when <see cref="CronflowHostOptions.ListenOn"/> is
/// used: a Kestrel of its own that binds only the given addresses and serves <c>MapCronflowApi("/api")</c> and
/// <c>MapCronflowDashboard("/dashboard")</c> over the application's engine. Also the request adapters behind those
/// two: every request below the API's prefix is adapted to the shared <see cref="CronflowHttpApi"/>, and every request
/// below the dashboard's to the shared <see cref="CronflowDashboard"/>, so the local host, an application that maps
/// them and the Functions app answer alike.
/// </summary>
internal sealed class LocalHttpServer(CronflowEngine engine, CronflowListener listener) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>
    /// Binds the addresses given to <see cref="CronflowHostOptions.ListenOn"/> and nothing else: the empty builder reads
    /// no appsettings*.json, environment variables (ASPNETCORE_URLS, Kestrel__*) or command line, so no configuration
    /// can add or change them. Without a key, a non-loopback address is refused.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = engine.Options;
        foreach (var url in options.ListenUrls)
        {
            EnsureSafeBinding(url, options.ApiKey);
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Cronflow" });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(engine.LoggerFactory);
        builder.Services.AddSingleton(engine);
        builder.WebHost.UseUrls([.. options.ListenUrls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = MaxConnections;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        });

        var app = builder.Build();
        MapEndpoints(app, options);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        var urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var exposed = options.ApiKey is null ? urls.FirstOrDefault(url => !IsLoopbackUrl(url)) : null;
        if (exposed is not null)
        {
            await StopAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"Refusing to serve the Cronflow API on {exposed} without an API key: the server bound an address that is not loopback.");
        }

        listener.Urls = urls;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>
    /// The local host's routes: the API at <c>/api</c> and the dashboard at <see cref="DashboardPath"/> (<c>/</c>
    /// redirects there). With no key they answer only loopback names (SPEC §5.1); with one, the API asks for it and the
    /// dashboard signs browsers in with it.
    /// </summary>
    private static void MapEndpoints(WebApplication app, CronflowHostOptions options)
    {
        void Exposure(CronflowEndpointOptions endpoint)
        {
            endpoint.ApiKey = options.ApiKey;
            endpoint.LoopbackOnly = options.ApiKey is null;
        }

        app.MapCronflowApi("/api", Exposure);
        app.MapCronflowDashboard(DashboardPath, Exposure);
        app.MapGet("/", context =>
        {
            context.Response.Redirect(DashboardPath + "/");
            return Task.CompletedTask;
        });
    }

    /// <summary>At most this many connections at once; Kestrel refuses the next ones until some close.</summary>
    internal const int MaxConnections = 1000;

    /// <summary>
    /// How large a body is drained (and dropped) with a 413, so that a client still sending reads the answer instead
    /// of finding the connection reset under it; a larger body ends the connection.
    /// </summary>
    internal const long DrainLimitBytes = HttpBodies.DrainLimitBytes;

    /// <summary>
    /// Adapts a request below <paramref name="prefix"/> to the API. <paramref name="managementEndpoint"/>: the request
    /// came through a management route's endpoint (the one an application's authorization covers); anything else (webhooks,
    /// health, unknown paths) may not use the management routes.
    /// </summary>
    internal static async Task HandleAsync(HttpContext context, CronflowHttpApi api, PathString prefix, CronflowEndpointOptions options, byte[]? apiKeyDigest, bool managementEndpoint)
    {
        // Without a key, loopback is the only protection: refuse what a web page can send to it (DNS rebinding, cross-site
        // requests) before anything is routed or read.
        if (options.LoopbackOnly && CheckBrowserRequest(context.Request) is { } forbidden)
        {
            await WriteAsync(context, forbidden, closeConnection: true).ConfigureAwait(false);
            return;
        }

        // A body over a route's limit is answered 413 at once; the server then drains what the client still sends (so
        // that it reads the answer), up to this size, and closes the connection beyond.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = Math.Max(api.MaxBodyBytes + 1L, DrainLimitBytes);
        }

        context.Request.Path.StartsWithSegments(prefix, out var below);
        var request = new ApiRequest
        {
            Method = context.Request.Method,
            Path = below.HasValue ? below.Value! : "/",
            Query = ApiRequest.ParseQuery(context.Request.QueryString.Value),
            Headers = ApiRequest.CollectHeaders(context.Request.Headers.Select(h => new KeyValuePair<string, IEnumerable<string>>(h.Key, h.Value.Select(v => v ?? "")))),
            IsManagementAuthorized = managementEndpoint && IsAuthorized(context.Request, apiKeyDigest),
        };

        // Route, key and declared length are checked before any byte of the body is read.
        if (api.CheckBeforeBody(request, context.Request.ContentLength) is { } early)
        {
            await WriteAsync(context, early, closeConnection: early.StatusCode == StatusCodes.Status401Unauthorized).ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(context.Request, api.MaxBodyBytes + 1, context.RequestAborted).ConfigureAwait(false);
        var complete = new ApiRequest
        {
            Method = request.Method,
            Path = request.Path,
            Query = request.Query,
            Headers = request.Headers,
            Body = body,
            IsManagementAuthorized = request.IsManagementAuthorized,
        };
        var response = await api.HandleAsync(complete, context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, response, closeConnection: false).ConfigureAwait(false);
    }

    private static async Task WriteAsync(HttpContext context, ApiResponse response, bool closeConnection)
    {
        context.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (closeConnection)
        {
            // Nothing more is read from a caller refused for who it is: Kestrel closes instead of draining the body.
            context.Response.Headers.Connection = "close";
        }

        if (response.Body.Length > 0)
        {
            context.Response.ContentType = ApiResponse.JsonContentType;
            context.Response.ContentLength = response.Body.Length;
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Where the local host serves the run inspector.</summary>
    internal const string DashboardPath = "/dashboard";

    /// <summary>Adapts a request below <paramref name="prefix"/> to the shared <see cref="CronflowDashboard"/>.</summary>
    internal static async Task HandleDashboardAsync(HttpContext context, CronflowDashboard dashboard, PathString prefix)
    {
        var body = await ReadBodyAsync(context.Request, CronflowDashboard.MaxBodyBytes + 1, context.RequestAborted).ConfigureAwait(false);
        context.Request.Path.StartsWithSegments(prefix, out var below);
        var request = new DashboardRequest
        {
            Method = context.Request.Method,
            Path = below.Value ?? "",
            BasePath = context.Request.PathBase + prefix,
            Query = ApiRequest.ParseQuery(context.Request.QueryString.Value),
            Headers = ApiRequest.CollectHeaders(context.Request.Headers.Select(h => new KeyValuePair<string, IEnumerable<string>>(h.Key, h.Value.Select(v => v ?? "")))),
            Body = body,
            IsHttps = context.Request.IsHttps,
        };

        var response = await dashboard.HandleAsync(request, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers.Append(name, value);
        }

        if (response.ContentType is { } contentType)
        {
            context.Response.ContentType = contentType;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// For a host without a key: 403 when the <c>Host</c> header is not a loopback name (a DNS-rebinding page reaches
    /// 127.0.0.1 under its own name), or when an <c>Origin</c> header names another origin than the host's own.
    /// </summary>
    private static ApiResponse? CheckBrowserRequest(HttpRequest request)
    {
        var host = request.Host;
        if (!host.HasValue || !HttpInputRules.IsLoopbackHostName(host.Host))
        {
            return ApiResponse.Error(
                403,
                ApiErrorCodes.ForbiddenHost,
                "Without an API key this host answers only requests addressed to localhost, 127.0.0.1 or [::1].",
                [new ApiProblem("Host", "The Host header does not name a loopback address.")]);
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !origin.Equals($"{request.Scheme}://{host.Value}", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResponse.Error(
                403,
                ApiErrorCodes.ForbiddenOrigin,
                "Without an API key this host answers no cross-origin requests: the Origin header names another site.",
                [new ApiProblem("Origin", "The Origin header is not this host's own origin.")]);
        }

        return null;
    }

    private static bool IsLoopbackUrl(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && IsLoopback(uri);

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>
    /// No key configured: management routes are open to whoever reaches them (the local host binds loopback only; an
    /// application's own authorization covers its endpoints). Otherwise the key must match; the
    /// SHA-256 digests are compared, in constant time, so that neither the key's contents nor its length leak.
    /// </summary>
    internal static bool IsAuthorized(HttpRequest request, byte[]? apiKeyDigest)
    {
        if (apiKeyDigest is null)
        {
            return true;
        }

        string? presented = request.Headers["x-api-key"];
        if (string.IsNullOrEmpty(presented) && request.Headers.Authorization.ToString() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization[7..].Trim();
        }

        return presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), apiKeyDigest);
    }

    /// <summary>
    /// Reads the body the way every host does (<see cref="HttpBodies"/>); Kestrel's own size limit, hit while reading,
    /// counts as too large.
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        try
        {
            return await HttpBodies.ReadAsync(request.Body, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new byte[limit];
        }
    }

    /// <summary>The management API controls every run: without an API key it may only listen on loopback.</summary>
    private static void EnsureSafeBinding(string url, string? apiKey)
    {
        if (apiKey is not null)
        {
            return;
        }

        if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"'{url}' is not a valid URL to listen on.", nameof(url));
        }

        if (!IsLoopback(uri))
        {
            throw new InvalidOperationException(
                $"Refusing to serve the Cronflow API on {url} without an API key: anyone who can reach it could start and cancel runs. " +
                "Listen on 127.0.0.1, or set CronflowHostOptions.ApiKey.");
        }
    }
}
