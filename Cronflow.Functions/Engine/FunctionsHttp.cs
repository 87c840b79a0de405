using System.Net;
using Cronflow.Dashboard;
using Cronflow.Http;
using Microsoft.Azure.Functions.Worker.Http;

namespace Cronflow.Functions.Engine;

/// <summary>Adapts Functions HTTP requests and responses to the shared <see cref="CronflowHttpApi"/>.</summary>
internal static class FunctionsHttp
{
    /// <summary>The route prefix, as set in host.json (<c>extensions.http.routePrefix</c>).</summary>
    public const string RoutePrefix = "api";

    /// <summary>Runs <paramref name="request"/> through the shared API and writes its answer.</summary>
    public static async Task<HttpResponseData> HandleAsync(CronflowHttpApi api, HttpRequestData request, bool management)
    {
        var cancellationToken = request.FunctionContext.CancellationToken;
        var headers = ApiRequest.CollectHeaders(request.Headers);
        var head = new ApiRequest
        {
            Method = request.Method,
            Path = ApiPath(request.Url),
            Query = ApiRequest.ParseQuery(request.Url.Query),
            Headers = headers,
            IsManagementAuthorized = management,
        };

        // Route, authorization and a declared length over the route's limit are answered before the body is read.
        long? contentLength = headers.TryGetValue("Content-Length", out var declared) && long.TryParse(declared, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) ? length : null;
        var response = api.CheckBeforeBody(head, contentLength);
        if (response is null)
        {
            var apiRequest = new ApiRequest
            {
                Method = head.Method,
                Path = head.Path,
                Query = head.Query,
                Headers = head.Headers,
                Body = await HttpBodies.ReadAsync(request.Body, (int)Math.Min(api.MaxBodyBytes + 1L, int.MaxValue), cancellationToken).ConfigureAwait(false),
                IsManagementAuthorized = management,
            };
            response = await api.HandleAsync(apiRequest, cancellationToken).ConfigureAwait(false);
        }

        return await WriteAsync(request, response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where the Functions app serves the run inspector.</summary>
    public const string DashboardPath = "/" + RoutePrefix + "/dashboard";

    /// <summary>Runs <paramref name="request"/> through the shared dashboard and writes its answer.</summary>
    public static async Task<HttpResponseData> HandleDashboardAsync(CronflowDashboard dashboard, HttpRequestData request)
    {
        var cancellationToken = request.FunctionContext.CancellationToken;
        var path = Uri.UnescapeDataString(request.Url.AbsolutePath);
        var dashboardRequest = new DashboardRequest
        {
            Method = request.Method,
            Path = path.StartsWith(DashboardPath, StringComparison.OrdinalIgnoreCase) ? path[DashboardPath.Length..] : "",
            BasePath = DashboardPath,
            Query = ApiRequest.ParseQuery(request.Url.Query),
            Headers = ApiRequest.CollectHeaders(request.Headers),
            Body = await HttpBodies.ReadAsync(request.Body, CronflowDashboard.MaxBodyBytes + 1, cancellationToken).ConfigureAwait(false),
            IsHttps = request.Url.Scheme == Uri.UriSchemeHttps,
        };
        var response = await dashboard.HandleAsync(dashboardRequest, cancellationToken).ConfigureAwait(false);
        var http = request.CreateResponse((HttpStatusCode)response.StatusCode);
        foreach (var (name, value) in response.Headers)
        {
            http.Headers.Add(name, value);
        }

        if (response.ContentType is { } contentType)
        {
            http.Headers.Add("Content-Type", contentType);
            await http.Body.WriteAsync(response.Body, cancellationToken).ConfigureAwait(false);
        }

        return http;
    }

    /// <summary>The decoded path below the route prefix: <c>/api/runs/a%20b</c> → <c>/runs/a b</c>.</summary>
    public static string ApiPath(Uri url)
    {
        var path = Uri.UnescapeDataString(url.AbsolutePath);
        var prefix = "/" + RoutePrefix;
        if (path.Equals(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return "/";
        }

        return path.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase) ? path[prefix.Length..] : path;
    }

    private static async Task<HttpResponseData> WriteAsync(HttpRequestData request, ApiResponse response, CancellationToken cancellationToken)
    {
        var http = request.CreateResponse((HttpStatusCode)response.StatusCode);
        foreach (var (name, value) in response.Headers)
        {
            http.Headers.Add(name, value);
        }

        if (response.Body.Length > 0)
        {
            http.Headers.Add("Content-Type", ApiResponse.JsonContentType);
            await http.Body.WriteAsync(response.Body, cancellationToken).ConfigureAwait(false);
        }

        return http;
    }
}
