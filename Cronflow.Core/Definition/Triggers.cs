namespace Cronflow;

/// <summary>Settings of a webhook trigger.</summary>
public sealed class WebhookOptions
{
    private readonly Dictionary<string, string?> _requiredHeaders = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _contentTypes = [];

    /// <summary>The HTTP method (default <c>POST</c>).</summary>
    public string Method { get; set; } = "POST";

    /// <summary>The type the JSON body must match; set through <see cref="Schema{T}"/>.</summary>
    public Type? SchemaType { get; private set; }

    /// <summary>
    /// A shared secret: when set, each delivery must carry an HMAC-SHA256 of its raw body in
    /// <see cref="SignatureHeader"/>, as hex, optionally prefixed with <c>sha256=</c>. Compared in constant time.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>The header holding the signature (default <c>x-cronflow-signature</c>).</summary>
    public string SignatureHeader { get; set; } = "x-cronflow-signature";

    /// <summary>
    /// A header whose value identifies a delivery (default <c>idempotency-key</c>): the same key gives the same run id,
    /// so a retried delivery never starts a second run. Set to null to disable.
    /// </summary>
    public string? IdempotencyHeader { get; set; } = "idempotency-key";

    /// <summary>The largest body accepted, in bytes (default 1 MiB).</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Headers every delivery must carry, with the value required (null: any value).</summary>
    public IReadOnlyDictionary<string, string?> RequiredHeaders => _requiredHeaders;

    /// <summary>Validates each body against the JSON schema of <typeparamref name="T"/>; problems are answered with 400 listing each of them.</summary>
    public WebhookOptions Schema<T>()
    {
        SchemaType = typeof(T);
        return this;
    }

    /// <summary>
    /// Media types accepted besides JSON (<c>application/json</c> and <c>*/*+json</c>, always accepted); a delivery with
    /// a body of any other <c>Content-Type</c> is answered 415. See <see cref="AcceptContentType"/>.
    /// </summary>
    public IReadOnlyList<string> AcceptedContentTypes => _contentTypes;

    /// <summary>
    /// Also accepts bodies of <paramref name="mediaType"/>, for senders that do not post JSON. A form post
    /// (<c>application/x-www-form-urlencoded</c>, as Slack sends) becomes an object of its fields (a repeated field an
    /// array of its values); any other type becomes the body as a JSON string.
    /// </summary>
    public WebhookOptions AcceptContentType(string mediaType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mediaType);
        var type = mediaType.Split(';', 2)[0].Trim().ToLowerInvariant();
        if (!_contentTypes.Contains(type))
        {
            _contentTypes.Add(type);
        }

        return this;
    }

    /// <summary>Requires header <paramref name="name"/>, with exactly <paramref name="value"/> when given (compared in constant time).</summary>
    public WebhookOptions RequireHeader(string name, string? value = null)
    {
        _requiredHeaders[name] = value;
        return this;
    }
}

/// <summary>A webhook trigger of a workflow.</summary>
/// <param name="Path">The path below <c>/api</c>, starting with '/'.</param>
/// <param name="Options">Its settings.</param>
public sealed record WebhookTrigger(string Path, WebhookOptions Options);

/// <summary>A time-based trigger: a cron expression or a fixed interval.</summary>
public sealed record ScheduleTrigger
{
    /// <summary>The cron expression, when cron-based.</summary>
    public string? Cron { get; init; }

    /// <summary>The time zone of the cron expression (default UTC).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>The interval, when interval-based.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>A stable key naming the trigger, used in the run ids of its occurrences.</summary>
    public string Key => Cron is not null ? $"cron:{Cron}@{TimeZone.Id}" : $"every:{Interval!.Value.TotalSeconds}s";

    internal Cronos.CronExpression? Expression { get; init; }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null when there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        if (Interval is { } interval)
        {
            var ticks = after.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            var next = ((ticks / interval.Ticks) + 1) * interval.Ticks;
            return DateTimeOffset.UnixEpoch.AddTicks(next);
        }

        return Expression!.GetNextOccurrence(after, TimeZone, inclusive: false);
    }
}
