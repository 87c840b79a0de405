using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Cronflow;

/// <summary>
/// How the deliveries of a webhook are signed: Cronflow's own timestamped scheme (<see cref="Cronflow(string, string)"/>,
/// what <see cref="WebhookOptions.Secret"/> selects) or the scheme of a known sender (<see cref="GitHub"/>,
/// <see cref="Stripe"/>, <see cref="Slack"/>). Set with <c>w.Signature = WebhookSignature.GitHub(secret)</c>.
/// Every scheme is an HMAC-SHA256 with the shared secret, compared in constant time.
/// </summary>
public sealed class WebhookSignature
{
    /// <summary>The default signature header of Cronflow's scheme.</summary>
    public const string CronflowSignatureHeader = "x-cronflow-signature";

    /// <summary>The timestamp header of Cronflow's scheme (Unix seconds).</summary>
    public const string CronflowTimestampHeader = "x-cronflow-timestamp";

    private readonly SignatureScheme _scheme;

    private WebhookSignature(string name, string secret, SignatureScheme scheme, string signatureHeader, string? timestampHeader)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Name = name;
        Secret = secret;
        _scheme = scheme;
        SignatureHeader = signatureHeader;
        TimestampHeader = timestampHeader;
    }

    private enum SignatureScheme
    {
        Cronflow,
        GitHub,
        Stripe,
        Slack,
    }

    /// <summary>The scheme's name: <c>cronflow</c>, <c>github</c>, <c>stripe</c> or <c>slack</c>.</summary>
    public string Name { get; }

    /// <summary>The header that carries the signature.</summary>
    public string SignatureHeader { get; }

    /// <summary>The header that carries the signing time (null when the scheme has none, or carries it in <see cref="SignatureHeader"/>).</summary>
    public string? TimestampHeader { get; }

    /// <summary>Whether deliveries carry a signed time, so that old deliveries are refused (GitHub's scheme has none).</summary>
    public bool IsTimestamped => _scheme != SignatureScheme.GitHub;

    /// <summary>The shared secret (never echoed in answers or logs).</summary>
    internal string Secret { get; }

    /// <summary>
    /// Cronflow's scheme: the sender signs <c>"{timestamp}.{body}"</c>, sends the Unix seconds in
    /// <c>x-cronflow-timestamp</c> and <c>sha256=&lt;hex HMAC-SHA256&gt;</c> in <paramref name="signatureHeader"/>.
    /// </summary>
    public static WebhookSignature Cronflow(string secret, string signatureHeader = CronflowSignatureHeader) =>
        new("cronflow", secret, SignatureScheme.Cronflow, signatureHeader, CronflowTimestampHeader);

    /// <summary>GitHub's scheme: <c>x-hub-signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>. No timestamp: a repeated delivery is recognised by its signature.</summary>
    public static WebhookSignature GitHub(string secret) => new("github", secret, SignatureScheme.GitHub, "x-hub-signature-256", null);

    /// <summary>Stripe's scheme: <c>Stripe-Signature: t=&lt;Unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "{t}.{body}"&gt;</c> (several v1 values allowed).</summary>
    public static WebhookSignature Stripe(string secret) => new("stripe", secret, SignatureScheme.Stripe, "stripe-signature", null);

    /// <summary>
    /// Slack's scheme: <c>x-slack-request-timestamp</c> (Unix seconds) and <c>x-slack-signature: v0=&lt;hex HMAC-SHA256 of
    /// "v0:{timestamp}:{body}"&gt;</c>. Slack posts slash commands and interactions as forms: also call
    /// <c>w.Accept("application/x-www-form-urlencoded")</c>.
    /// </summary>
    public static WebhookSignature Slack(string secret) => new("slack", secret, SignatureScheme.Slack, "x-slack-signature", "x-slack-request-timestamp");

    /// <summary>Every header this scheme reads (none of them is copied into a run's trigger details).</summary>
    internal IEnumerable<string> Headers => TimestampHeader is null ? [SignatureHeader] : [SignatureHeader, TimestampHeader];

    /// <summary>
    /// Checks a delivery. On success the result carries the delivery's MAC (the same delivery always has the same one),
    /// which names the delivery for deduplication.
    /// </summary>
    internal SignatureCheck Verify(IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!headers.TryGetValue(SignatureHeader, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return SignatureCheck.Bad(SignatureHeader, $"The signature header '{SignatureHeader}' is missing.");
        }

        value = value.Trim();
        string? timestampText;
        List<string> candidates;
        switch (_scheme)
        {
            case SignatureScheme.GitHub:
                timestampText = null;
                candidates = [StripPrefix(value, "sha256=")];
                break;
            case SignatureScheme.Stripe:
                timestampText = null;
                candidates = [];
                foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var equals = part.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        continue;
                    }

                    var (key, item) = (part[..equals], part[(equals + 1)..]);
                    if (key == "t")
                    {
                        timestampText = item;
                    }
                    else if (key == "v1")
                    {
                        candidates.Add(item);
                    }
                }

                if (timestampText is null || candidates.Count == 0)
                {
                    return SignatureCheck.Bad(SignatureHeader, $"The header '{SignatureHeader}' must carry t=<timestamp> and v1=<signature>.");
                }

                break;
            default:
                if (!headers.TryGetValue(TimestampHeader!, out timestampText) || string.IsNullOrWhiteSpace(timestampText))
                {
                    return SignatureCheck.Bad(TimestampHeader, $"The timestamp header '{TimestampHeader}' is missing.");
                }

                candidates = [_scheme == SignatureScheme.Slack ? StripPrefix(value, "v0=") : StripPrefix(value, "sha256=")];
                break;
        }

        long? timestamp = null;
        if (timestampText is not null)
        {
            if (!long.TryParse(timestampText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253_402_300_799)
            {
                return SignatureCheck.Bad(TimestampHeader ?? SignatureHeader, "The signature's timestamp is not a number of Unix seconds.");
            }

            timestamp = seconds;
        }

        var expected = Mac(timestamp, body);
        var matched = false;
        foreach (var candidate in candidates)
        {
            // Lengths are public (an HMAC-SHA256 is 32 bytes); the contents are compared in constant time.
            matched |= TryFromHex(candidate, out var provided) && provided.Length == expected.Length && CryptographicOperations.FixedTimeEquals(provided, expected);
        }

        if (!matched)
        {
            return SignatureCheck.Bad(SignatureHeader, $"The signature in '{SignatureHeader}' does not match the body.");
        }

        if (timestamp is { } signedAt && (now - DateTimeOffset.FromUnixTimeSeconds(signedAt)).Duration() > tolerance)
        {
            return new SignatureCheck(SignatureOutcome.Stale, TimestampHeader ?? SignatureHeader, $"The delivery was signed more than {tolerance} from now (WebhookOptions.SignatureTolerance).", null);
        }

        return new SignatureCheck(SignatureOutcome.Valid, null, null, expected);
    }

    /// <summary>The headers a sender of this scheme sends for <paramref name="body"/> signed at <paramref name="timestamp"/>.</summary>
    internal Dictionary<string, string> Sign(ReadOnlySpan<byte> body, long timestamp)
    {
        var hex = Convert.ToHexStringLower(Mac(IsTimestamped ? timestamp : null, body));
        var stamp = timestamp.ToString(CultureInfo.InvariantCulture);
        return _scheme switch
        {
            SignatureScheme.GitHub => new() { [SignatureHeader] = "sha256=" + hex },
            SignatureScheme.Stripe => new() { [SignatureHeader] = $"t={stamp},v1={hex}" },
            SignatureScheme.Slack => new() { [TimestampHeader!] = stamp, [SignatureHeader] = "v0=" + hex },
            _ => new() { [TimestampHeader!] = stamp, [SignatureHeader] = "sha256=" + hex },
        };
    }

    private byte[] Mac(long? timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = (_scheme, timestamp) switch
        {
            (_, null) => "",
            (SignatureScheme.Slack, { } t) => $"v0:{t.ToString(CultureInfo.InvariantCulture)}:",
            (_, { } t) => t.ToString(CultureInfo.InvariantCulture) + ".",
        };
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(Secret));
        hmac.AppendData(Encoding.UTF8.GetBytes(prefix));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    private static string StripPrefix(string value, string prefix) =>
        value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? value[prefix.Length..] : value;

    private static bool TryFromHex(string hex, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}

/// <summary>The outcome of a signature check.</summary>
internal enum SignatureOutcome
{
    Valid,
    Bad,
    Stale,
}

/// <summary>What a signature check found: the outcome, the header at fault and why, or the delivery's MAC.</summary>
internal sealed record SignatureCheck(SignatureOutcome Outcome, string? Header, string? Message, byte[]? Mac)
{
    public static SignatureCheck Bad(string? header, string message) => new(SignatureOutcome.Bad, header, message, null);
}
