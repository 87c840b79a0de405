namespace Cronflow.Http;

/// <summary>The management routes of the Cronflow API, below <c>/api</c>.</summary>
internal enum ApiRoute
{
    TriggerRun,
    ListRuns,
    GetRun,
    PurgeRun,
    RaiseEvent,
    CancelRun,
    ReplayRun,
    Resume,
    PublishEvent,
    Health,
}

/// <summary>The route table: templates with <c>{name}</c> segments, their methods, and whether they need management authorization.</summary>
internal static class ApiRoutes
{
    public static readonly IReadOnlyList<(ApiRoute Route, string Method, string Template, bool Management)> All =
    [
        (ApiRoute.TriggerRun, "POST", "/workflows/{workflowId}/runs", true),
        (ApiRoute.ListRuns, "GET", "/runs", true),
        (ApiRoute.GetRun, "GET", "/runs/{runId}", true),
        (ApiRoute.PurgeRun, "DELETE", "/runs/{runId}", true),
        (ApiRoute.RaiseEvent, "POST", "/runs/{runId}/events/{eventName}", true),
        (ApiRoute.CancelRun, "POST", "/runs/{runId}/cancel", true),
        (ApiRoute.ReplayRun, "POST", "/runs/{runId}/replay", true),
        (ApiRoute.Resume, "POST", "/resume/{token}", true),
        (ApiRoute.PublishEvent, "POST", "/events/{eventName}", true),
        (ApiRoute.Health, "GET", "/health", false),
    ];

    /// <summary>Whether the first segment of <paramref name="segments"/> belongs to the management API.</summary>
    public static bool IsManagementPath(IReadOnlyList<string> segments) =>
        segments.Count > 0 && WebhookPaths.ReservedSegments.Contains(segments[0]);

    /// <summary>Matches <paramref name="segments"/> against a template; fills the <c>{name}</c> values.</summary>
    public static bool TryMatch(string template, IReadOnlyList<string> segments, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = Split(template);
        if (parts.Count != segments.Count)
        {
            return false;
        }

        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i].StartsWith('{'))
            {
                values[parts[i][1..^1]] = segments[i];
            }
            else if (!parts[i].Equals(segments[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits a path into its non-empty segments.</summary>
    public static List<string> Split(string path) => [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries)];
}
