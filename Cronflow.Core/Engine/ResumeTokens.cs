using System.Text;

namespace Cronflow;

/// <summary>
/// Human-in-the-loop resume tokens: the orchestration instance id (base64url) and a per-pause secret drawn from the
/// orchestration's deterministic GUIDs. The token names the run to resume; the secret names the event it waits for.
/// </summary>
internal static class ResumeTokens
{
    public static string Create(string instanceId, string secret) =>
        $"{Convert.ToBase64String(Encoding.UTF8.GetBytes(instanceId)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.{secret}";

    public static string EventName(string secret) => "cronflow.resume." + secret;

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
        return secret.Length == 32 && secret.All(Uri.IsHexDigit);
    }
}
