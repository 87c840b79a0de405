namespace Cronflow;

/// <summary>Settings of a webhook trigger.</summary>
public sealed class WebhookOptions
{
    private readonly Dictionary<string, string?> _requiredHeaders = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The HTTP method (default <c>POST</c>).</summary>
    public string Method { get; set; } = "POST";

    /// <summary>The type the JSON body must match; set through <see cref="Schema{T}"/>.</summary>
    public Type? SchemaType { get; private set; }

    private readonly List<string> _acceptedContentTypes = [];

    /// <summary>
    /// A shared secret for Cronflow's signature scheme: each delivery carries its signing time in
    /// <c>x-cronflow-timestamp</c> (Unix seconds) and <c>sha256=&lt;hex HMAC-SHA256 of "{timestamp}.{body}"&gt;</c> in
    /// <see cref="SignatureHeader"/>. Compared in constant time. A delivery signed more than
    /// <see cref="SignatureTolerance"/> away from now is refused, and the same signed delivery again starts nothing new.
    /// <see cref="Signature"/>, when set, takes precedence.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>The header holding the signature of Cronflow's scheme (default <c>x-cronflow-signature</c>).</summary>
    public string SignatureHeader { get; set; } = WebhookSignature.CronflowSignatureHeader;

    /// <summary>
    /// The signature scheme of a known sender (<see cref="WebhookSignature.GitHub"/>, <see cref="WebhookSignature.Stripe"/>,
    /// <see cref="WebhookSignature.Slack"/>), or Cronflow's own (<see cref="WebhookSignature.Cronflow"/>). Takes precedence over <see cref="Secret"/>.
    /// </summary>
    public WebhookSignature? Signature { get; set; }

    /// <summary>How far a delivery's signed timestamp may be from now (default 5 minutes); further is answered 401 <c>stale_signature</c>.</summary>
    public TimeSpan SignatureTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Content types accepted besides JSON (<c>application/json</c>, <c>*/*+json</c>), added with <see cref="Accept"/>.
    /// A form body (<c>application/x-www-form-urlencoded</c>) becomes an object of its fields (strings); any other
    /// accepted type becomes the body as a string.
    /// </summary>
    public IReadOnlyList<string> AcceptedContentTypes => _acceptedContentTypes;

    /// <summary>The signature scheme in force: <see cref="Signature"/>, else Cronflow's scheme with <see cref="Secret"/>, else none.</summary>
    internal WebhookSignature? EffectiveSignature =>
        Signature ?? (Secret is { Length: > 0 } secret ? WebhookSignature.Cronflow(secret, SignatureHeader) : null);

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
    /// Accepts bodies of other media types besides JSON, for example <c>w.Accept("application/x-www-form-urlencoded")</c>
    /// for a Slack form post; a delivery with a body of any type not accepted is answered 415. Media types are matched
    /// without parameters, ignoring case.
    /// </summary>
    public WebhookOptions Accept(params string[] contentTypes)
    {
        ArgumentNullException.ThrowIfNull(contentTypes);
        foreach (var type in contentTypes)
        {
            var media = (type ?? "").Split(';')[0].Trim().ToLowerInvariant();
            if (!_acceptedContentTypes.Contains(media))
            {
                _acceptedContentTypes.Add(media);
            }
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
