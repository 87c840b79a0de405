using System.Text;

namespace Cronflow.Dashboard;

/// <summary>
/// A request to the run inspector, independent of the web stack that received it (the local ASP.NET Core host or an
/// Azure Functions HTTP trigger). <see cref="Path"/> is the part below the dashboard's base path.
/// </summary>
internal sealed class DashboardRequest
{
    /// <summary>The HTTP method (any case).</summary>
    public required string Method { get; init; }

    /// <summary>The decoded path below <see cref="BasePath"/>, starting with '/' (or empty).</summary>
    public required string Path { get; init; }

    /// <summary>Where the dashboard is served, such as <c>/dashboard</c> or <c>/api/dashboard</c>; links and cookies use it.</summary>
    public required string BasePath { get; init; }

    /// <summary>Query string values by name (case-insensitive names; the first value wins).</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Request headers by name (case-insensitive names; repeated headers joined with ", ").</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The raw body (a form post); adapters read at most <see cref="CronflowDashboard.MaxBodyBytes"/> + 1 bytes.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Whether the request arrived over HTTPS (cookies are then marked Secure).</summary>
    public bool IsHttps { get; init; }

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The value of a cookie, or null.</summary>
    public string? Cookie(string name)
    {
        if (Header("Cookie") is not { } cookies)
        {
            return null;
        }

        foreach (var part in cookies.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part.AsSpan(0, equals).Trim().Equals(name, StringComparison.Ordinal))
            {
                return part[(equals + 1)..].Trim();
            }
        }

        return null;
    }
}

/// <summary>The answer of the run inspector: a status code, a body, its content type and headers (several Set-Cookie lines allowed).</summary>
internal sealed class DashboardResponse
{
    /// <summary>The content type of every page.</summary>
    public const string HtmlContentType = "text/html; charset=utf-8";

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; init; } = 200;

    /// <summary>The body's content type, or null when there is no body.</summary>
    public string? ContentType { get; init; }

    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The body as text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body.Span);

    /// <summary>Headers to send besides Content-Type; a name may repeat (Set-Cookie).</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>A page (or fragment) of HTML.</summary>
    public static DashboardResponse Html(int statusCode, string html) =>
        new() { StatusCode = statusCode, ContentType = HtmlContentType, Body = Encoding.UTF8.GetBytes(html) };

    /// <summary>A plain-text answer.</summary>
    public static DashboardResponse Text(int statusCode, string text) =>
        new() { StatusCode = statusCode, ContentType = "text/plain; charset=utf-8", Body = Encoding.UTF8.GetBytes(text) };

    /// <summary>A 303 redirect (after a form post) or 302.</summary>
    public static DashboardResponse Redirect(string location, int statusCode = 303)
    {
        var response = new DashboardResponse { StatusCode = statusCode };
        response.Headers.Add(new("Location", location));
        return response;
    }
}
