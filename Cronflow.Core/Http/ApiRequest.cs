namespace Cronflow.Http;

/// <summary>
/// An HTTP request to the Cronflow API, independent of the web stack that received it (Azure Functions or the
/// local ASP.NET Core host). <see cref="Path"/> is the part below <c>/api</c>, such as <c>/runs/abc</c>.
/// </summary>
internal sealed class ApiRequest
{
    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    private readonly IReadOnlyDictionary<string, string> _query = Empty;
    private readonly IReadOnlyDictionary<string, string> _headers = Empty;

    /// <summary>The HTTP method (any case).</summary>
    public required string Method { get; init; }

    /// <summary>The decoded path below <c>/api</c>, starting with '/'.</summary>
    public required string Path { get; init; }

    /// <summary>Query string values by name (case-insensitive names; the first value wins).</summary>
    public IReadOnlyDictionary<string, string> Query
    {
        get => _query;
        init => _query = Copy(value);
    }

    /// <summary>Request headers by name (case-insensitive names; repeated headers joined with ", ").</summary>
    public IReadOnlyDictionary<string, string> Headers
    {
        get => _headers;
        init => _headers = Copy(value);
    }

    /// <summary>The raw body. Adapters read at most <see cref="CronflowHttpApi.MaxBodyBytes"/> + 1 bytes.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>
    /// Whether the caller may use the management routes (trigger, runs, events, resume). Azure Functions checks its
    /// function keys before the function runs; the local host checks its API key.
    /// </summary>
    public bool IsManagementAuthorized { get; init; }

    /// <summary>Parses a query string (with or without the leading '?').</summary>
    public static IReadOnlyDictionary<string, string> ParseQuery(string? query)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(query))
        {
            return result;
        }

        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            result.TryAdd(name, value);
        }

        return result;
    }

    /// <summary>Collects headers with repeated values joined by ", ".</summary>
    public static IReadOnlyDictionary<string, string> CollectHeaders(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            var joined = string.Join(", ", values);
            result[name] = result.TryGetValue(name, out var existing) ? existing + ", " + joined : joined;
        }

        return result;
    }

    private static string Decode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string>? source)
    {
        var copy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in source ?? Empty)
        {
            copy.TryAdd(name, value);
        }

        return copy;
    }
}
