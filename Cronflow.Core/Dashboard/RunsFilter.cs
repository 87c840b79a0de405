using System.Globalization;

namespace Cronflow.Dashboard;

/// <summary>The runs list's filters, read from the query string (<c>workflow</c>, <c>status</c>, <c>from</c>, <c>to</c>, <c>run</c>, <c>pageSize</c>, <c>page</c>).</summary>
internal sealed record RunsFilter
{
    public string? WorkflowId { get; init; }

    public RunStatus? Status { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? RunIdPrefix { get; init; }

    public int PageSize { get; init; } = 50;

    public string? ContinuationToken { get; init; }

    public RunQuery ToQuery() => new()
    {
        WorkflowId = WorkflowId,
        Status = Status,
        CreatedFrom = From,
        CreatedTo = To,
        RunIdPrefix = RunIdPrefix,
        PageSize = PageSize,
        ContinuationToken = ContinuationToken,
    };

    /// <summary>The query string of this filter (without the page token unless asked), for links.</summary>
    public string ToQueryString(bool withPage = false, RunStatus? status = null, bool clearStatus = false)
    {
        var parts = new List<string>();
        Add(parts, "workflow", WorkflowId);
        Add(parts, "status", clearStatus ? null : (status ?? Status)?.ToString());
        Add(parts, "from", From is { } from ? FormatLocal(from) : null);
        Add(parts, "to", To is { } to ? FormatLocal(to) : null);
        Add(parts, "run", RunIdPrefix);
        Add(parts, "pageSize", PageSize == 50 ? null : PageSize.ToString(CultureInfo.InvariantCulture));
        Add(parts, "page", withPage ? ContinuationToken : null);
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    /// <summary>A time as a <c>datetime-local</c> input value (UTC).</summary>
    public static string FormatLocal(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    public static RunsFilter Parse(IReadOnlyDictionary<string, string> query, out List<string> problems)
    {
        problems = [];
        var filter = new RunsFilter
        {
            WorkflowId = Value(query, "workflow"),
            RunIdPrefix = Value(query, "run")?.Trim(),
            ContinuationToken = Value(query, "page"),
        };
        if (Value(query, "status") is { } statusText)
        {
            if (Enum.TryParse<RunStatus>(statusText, ignoreCase: true, out var status) && Enum.IsDefined(status) && !int.TryParse(statusText, out _))
            {
                filter = filter with { Status = status };
            }
            else
            {
                problems.Add($"'{statusText}' is not a run status.");
            }
        }

        filter = filter with { From = Time(query, "from", problems), To = Time(query, "to", problems) };
        if (Value(query, "pageSize") is { } sizeText)
        {
            if (int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= 1000)
            {
                filter = filter with { PageSize = size };
            }
            else
            {
                problems.Add($"'{sizeText}' is not a page size from 1 to 1000.");
            }
        }

        return filter;
    }

    private static DateTimeOffset? Time(IReadOnlyDictionary<string, string> query, string name, List<string> problems)
    {
        if (Value(query, name) is not { } text)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        problems.Add($"'{text}' is not a time (use 2026-01-05T10:00, UTC).");
        return null;
    }

    private static string? Value(IReadOnlyDictionary<string, string> query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static void Add(List<string> parts, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            parts.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }
}
