using System.Security.Cryptography;
using System.Text;

namespace Cronflow.Http;

/// <summary>Header, signature and idempotency rules of webhooks. Secrets are compared in constant time and never echoed.</summary>
internal static class WebhookSecurity
{
    private const string SignaturePrefix = "sha256=";

    /// <summary>Headers never copied into a run's trigger details.</summary>
    private static readonly HashSet<string> SecretHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-functions-key", "x-api-key", "x-cronflow-api-key",
    };

    private const int MaxTriggerHeaderLength = 2048;

    /// <summary>Checks the required headers; returns one problem per missing or wrong header (names only, never values).</summary>
    public static List<ApiProblem> CheckRequiredHeaders(WebhookOptions options, IReadOnlyDictionary<string, string> headers)
    {
        var problems = new List<ApiProblem>();
        foreach (var (name, expected) in options.RequiredHeaders)
        {
            if (!headers.TryGetValue(name, out var actual) || string.IsNullOrEmpty(actual))
            {
                problems.Add(new ApiProblem(name, $"The header '{name}' is required."));
            }
            else if (expected is not null && !FixedTimeEquals(actual, expected))
            {
                problems.Add(new ApiProblem(name, $"The header '{name}' does not have the expected value."));
            }
        }

        return problems;
    }

    /// <summary>
    /// Checks the HMAC-SHA256 signature of <paramref name="body"/>: hex, optionally prefixed with <c>sha256=</c>.
    /// Returns null when valid (or when no secret is configured), otherwise the problem.
    /// </summary>
    public static ApiProblem? CheckSignature(WebhookOptions options, IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body)
    {
        if (options.Secret is null)
        {
            return null;
        }

        var header = options.SignatureHeader;
        if (!headers.TryGetValue(header, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return new ApiProblem(header, $"The signature header '{header}' is missing.");
        }

        var hex = value.Trim();
        if (hex.StartsWith(SignaturePrefix, StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[SignaturePrefix.Length..];
        }

        var expected = Sign(options.Secret, body);
        byte[] provided;
        try
        {
            provided = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            provided = [];
        }

        // Lengths are public (an HMAC-SHA256 is 32 bytes); the contents are compared in constant time.
        return provided.Length == expected.Length && CryptographicOperations.FixedTimeEquals(provided, expected)
            ? null
            : new ApiProblem(header, $"The signature in '{header}' does not match the body.");
    }

    /// <summary>The HMAC-SHA256 of <paramref name="body"/> with <paramref name="secret"/>.</summary>
    public static byte[] Sign(string secret, ReadOnlySpan<byte> body) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);

    /// <summary>The run id of a delivery with an idempotency key: the same workflow and key always give the same id.</summary>
    public static string IdempotentRunId(string workflowId, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(workflowId + "\n" + key));
        return "wh-" + Convert.ToHexStringLower(hash)[..32];
    }

    /// <summary>The headers recorded in the run's trigger details: lower-case names, without credentials, signatures or required secret values.</summary>
    public static IReadOnlyDictionary<string, string> TriggerHeaders(WebhookOptions options, IReadOnlyDictionary<string, string> headers)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var lower = name.ToLowerInvariant();
            if (SecretHeaders.Contains(lower)
                || lower.Equals(options.SignatureHeader, StringComparison.OrdinalIgnoreCase)
                || (options.RequiredHeaders.TryGetValue(name, out var required) && required is not null)
                || value.Length > MaxTriggerHeaderLength)
            {
                continue;
            }

            result[lower] = value;
        }

        return result;
    }

    /// <summary>Compares two strings in time that depends on neither their contents nor their lengths.</summary>
    public static bool FixedTimeEquals(string actual, string expected)
    {
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(actual));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>Formats a signature as sent by senders: <c>sha256=&lt;hex&gt;</c>.</summary>
    public static string FormatSignature(string secret, ReadOnlySpan<byte> body) =>
        SignaturePrefix + Convert.ToHexStringLower(Sign(secret, body));
}
