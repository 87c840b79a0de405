using System.Security.Cryptography;
using System.Text;

namespace Cronflow.Http;

/// <summary>Header, signature and idempotency rules of webhooks. Secrets are compared in constant time and never echoed.</summary>
internal static class WebhookSecurity
{
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
    /// Checks the delivery's signature with the webhook's scheme (<see cref="WebhookOptions.EffectiveSignature"/>) at
    /// <paramref name="now"/>. Returns null when the webhook is unsigned.
    /// </summary>
    public static SignatureCheck? CheckSignature(WebhookOptions options, IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        options.EffectiveSignature?.Verify(headers, body, now, options.SignatureTolerance);

    /// <summary>
    /// The run id of a signed delivery: derived from its MAC, so the same delivery (same body, same signed time) always
    /// gets the same id, on every host, and is started once however often it is replayed.
    /// </summary>
    public static string SignedRunId(string workflowId, string scheme, ReadOnlySpan<byte> mac)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(workflowId + "\n" + scheme + "\n" + Convert.ToHexStringLower(mac)));
        return "wh-" + Convert.ToHexStringLower(hash)[..32];
    }

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
                || (options.EffectiveSignature?.Headers.Contains(lower, StringComparer.OrdinalIgnoreCase) ?? false)
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
}
