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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cronflow.Hosting;

/// <summary>
/// Serves the Cronflow HTTP API on ASP.NET Core (Kestrel): every request below <c>/api</c> is adapted to the shared
/// <see cref="CronflowHttpApi"/>, so the local host answers exactly as the Functions app does.
/// </summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalHttpServer(WebApplication app, IReadOnlyList<string> urls)
    {
        _app = app;
        Urls = urls;
    }

    public IReadOnlyList<string> Urls { get; }

    public static async Task<LocalHttpServer> StartAsync(CronflowHttpApi api, CronflowDashboard dashboard, CronflowHostOptions options, ILoggerFactory loggerFactory)
    {
        foreach (var url in options.ListenUrls)
        {
            EnsureSafeBinding(url, options.ApiKey);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Cronflow" });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseUrls([.. options.ListenUrls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Bodies over the API's limits are answered 413 by the API, after their rest has been read and dropped
            // (see ReadBodyAsync); beyond this, Kestrel closes the connection instead.
            kestrel.Limits.MaxRequestBodySize = Math.Max(api.MaxBodyBytes + 1L, DrainLimitBytes);
        });

        var app = builder.Build();
        var apiKey = options.ApiKey is null ? null : Encoding.UTF8.GetBytes(options.ApiKey);
        app.Map("/api/{**path}", context => HandleAsync(context, api, apiKey));
        app.Map("/api", context => HandleAsync(context, api, apiKey));
        app.Map(DashboardPath + "/{**path}", context => HandleDashboardAsync(context, dashboard));
        app.Map(DashboardPath, context => HandleDashboardAsync(context, dashboard));
        app.MapGet("/", context =>
        {
            context.Response.Redirect(DashboardPath + "/");
            return Task.CompletedTask;
        });
        await app.StartAsync().ConfigureAwait(false);
        var urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        return new LocalHttpServer(app, urls);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task HandleAsync(HttpContext context, CronflowHttpApi api, byte[]? apiKey)
    {
        var body = await ReadBodyAsync(context.Request, api.MaxBodyBytes + 1, context.RequestAborted).ConfigureAwait(false);
        var path = context.Request.Path.Value ?? "";
        var request = new ApiRequest
        {
            Method = context.Request.Method,
            Path = path.Length > 4 ? path[4..] : "/",
            Query = ApiRequest.ParseQuery(context.Request.QueryString.Value),
            Headers = ApiRequest.CollectHeaders(context.Request.Headers.Select(h => new KeyValuePair<string, IEnumerable<string>>(h.Key, h.Value.Select(v => v ?? "")))),
            Body = body,
            IsManagementAuthorized = IsAuthorized(context.Request, apiKey),
        };

        var response = await api.HandleAsync(request, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body.Length > 0)
        {
            context.Response.ContentType = ApiResponse.JsonContentType;
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Where the local host serves the run inspector.</summary>
    internal const string DashboardPath = "/dashboard";

    /// <summary>Adapts a request below <see cref="DashboardPath"/> to the shared <see cref="CronflowDashboard"/>.</summary>
    private static async Task HandleDashboardAsync(HttpContext context, CronflowDashboard dashboard)
    {
        var body = await ReadBodyAsync(context.Request, CronflowDashboard.MaxBodyBytes + 1, context.RequestAborted).ConfigureAwait(false);
        var path = context.Request.Path.Value ?? "";
        var request = new DashboardRequest
        {
            Method = context.Request.Method,
            Path = path.Length > DashboardPath.Length ? path[DashboardPath.Length..] : "",
            BasePath = context.Request.PathBase + DashboardPath,
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

    /// <summary>No key configured: management routes are open (the host binds loopback only). Otherwise the key must match.</summary>
    private static bool IsAuthorized(HttpRequest request, byte[]? apiKey)
    {
        if (apiKey is null)
        {
            return true;
        }

        string? presented = request.Headers["x-api-key"];
        if (string.IsNullOrEmpty(presented) && request.Headers.Authorization.ToString() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization[7..].Trim();
        }

        return presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), apiKey);
    }

    /// <summary>
    /// How much of a body over the API's limits is read (and dropped) before the 413 is sent: a client still sending
    /// its body then reads the answer, instead of finding the connection reset under it.
    /// </summary>
    internal const long DrainLimitBytes = 16L * 1024 * 1024;

    /// <summary>Keeps at most <paramref name="limit"/> bytes: the API answers 413 when the body is longer than allowed.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is > 0 and var length && length > limit)
        {
            // A body known to be too large is not kept; one byte past the limit is enough for a 413.
            await DrainAsync(request.Body, cancellationToken).ConfigureAwait(false);
            return new byte[limit];
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        try
        {
            while (buffer.Length < limit)
            {
                var read = await request.Body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                buffer.Write(chunk, 0, read);
            }

            if (buffer.Length >= limit)
            {
                await DrainAsync(request.Body, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (BadHttpRequestException)
        {
            // Kestrel's own size limit: report it as too large.
            return new byte[limit];
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Reads the rest of a body and drops it; a body past <see cref="DrainLimitBytes"/> ends the connection.</summary>
    private static async Task DrainAsync(Stream body, CancellationToken cancellationToken)
    {
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // Over Kestrel's limit, or the client gave up: the 413 goes out if the connection still stands.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
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

        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));
        if (!loopback)
        {
            throw new InvalidOperationException(
                $"Refusing to serve the Cronflow API on {url} without an API key: anyone who can reach it could start and cancel runs. " +
                "Listen on 127.0.0.1, or set CronflowHostOptions.ApiKey.");
        }
    }
}
