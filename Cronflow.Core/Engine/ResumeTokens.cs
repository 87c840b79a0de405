using System.Security.Cryptography;
using System.Text;

namespace Cronflow;

/// <summary>
/// Human-in-the-loop resume tokens: the orchestration instance id (base64url) and a per-pause secret of 256 random
/// bits (64 hex digits). The secret is drawn from a cryptographic generator by the step activity (path
/// <c>{node}#secret</c>), so it is recorded in the run's history and replays unchanged; nothing about it can be
/// derived from the run's inputs. The token names the run to resume; the secret names the event it waits for.
/// </summary>
internal static class ResumeTokens
{
    /// <summary>The path suffix of the activity call that draws a pause's secret.</summary>
    public const string SecretSuffix = "#secret";

    /// <summary>Random bytes in a secret.</summary>
    public const int SecretBytes = 32;

    public static string Create(string instanceId, string secret) =>
        $"{Convert.ToBase64String(Encoding.UTF8.GetBytes(instanceId)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.{secret}";

    public static string EventName(string secret) => "cronflow.resume." + secret;

    /// <summary>Whether a presented token is the expected one: SHA-256 digests compared in constant time.</summary>
    public static bool Matches(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    public static bool TryParse(string? token, out string instanceId, out string secret)
    {
        instanceId = "";
        secret = "";
        var dot = token?.LastIndexOf('.') ?? -1;
        if (token is null || dot <= 0 || dot == token.Length - 1)
        {
            return false;
        }

        var encoded = token[..dot].Replace('-', '+').Replace('_', '/');
        encoded = encoded.PadRight(encoded.Length + ((4 - (encoded.Length % 4)) % 4), '=');
        try
        {
            instanceId = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return false;
        }

        secret = token[(dot + 1)..];
        return secret.Length == SecretBytes * 2 && secret.All(Uri.IsHexDigit);
    }
}
