namespace Cronflow;

/// <summary>Rules for webhook paths: normalisation and the routes they must not shadow.</summary>
internal static class WebhookPaths
{
    /// <summary>First path segments below <c>/api</c> that belong to the management API (and the Functions app's dashboard).</summary>
    internal static readonly IReadOnlySet<string> ReservedSegments =
        new HashSet<string>(["workflows", "runs", "resume", "events", "health", "dashboard"], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> Methods =
        new HashSet<string>(["GET", "POST", "PUT", "PATCH", "DELETE"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds a leading '/', removes a trailing one, and lower-cases nothing (paths are case-sensitive).</summary>
    public static string Normalize(string? path)
    {
        var trimmed = (path ?? "").Trim();
        if (!trimmed.StartsWith('/'))
        {
            trimmed = "/" + trimmed;
        }

        return trimmed.Length > 1 ? trimmed.TrimEnd('/') : trimmed;
    }

    public static IEnumerable<string> Validate(string path, WebhookOptions options)
    {
        if (path.Length <= 1)
        {
            yield return "The webhook path is empty.";
            yield break;
        }

        if (path.Any(c => char.IsWhiteSpace(c) || c is '?' or '#' or '{' or '}' or '*' or '\\'))
        {
            yield return $"The webhook path '{path}' contains a character that is not allowed (white space, '?', '#', '{{', '}}', '*' or '\\').";
        }

        var first = path.Split('/', StringSplitOptions.RemoveEmptyEntries)[0];
        if (first.Equals("api", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"The webhook path '{path}' must not start with /api: it is served at /api{path}; register it without the prefix.";
        }
        else if (ReservedSegments.Contains(first))
        {
            yield return $"The webhook path '{path}' collides with the management route /api/{first}; choose another first segment (for example /webhooks/...).";
        }

        if (!Methods.Contains(options.Method ?? ""))
        {
            yield return $"The webhook method '{options.Method}' is not one of GET, POST, PUT, PATCH, DELETE.";
        }

        if (options.MaxBodyBytes < 1)
        {
            yield return $"MaxBodyBytes is {options.MaxBodyBytes}; it must be positive.";
        }

        if (options.Secret is { Length: 0 })
        {
            yield return "The webhook secret is empty; leave it null to disable signatures.";
        }
    }
}
