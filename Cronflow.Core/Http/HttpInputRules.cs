using System.Globalization;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Cronflow.Http;

/// <summary>
/// Rules every route applies to what a caller sends, whoever the caller is: the media types of bodies, the depth of
/// JSON, which instance ids are runs, and how caller-supplied text is echoed or logged.
/// </summary>
internal static class HttpInputRules
{
    /// <summary>
    /// The deepest JSON any route accepts. The engine nests a payload a few levels deeper when it stores a run's input,
    /// step records and result, and System.Text.Json writes at most 64 levels: 32 leaves room, so whatever is accepted runs.
    /// </summary>
    public const int MaxJsonDepth = 32;

    /// <summary>The media type of a form post.</summary>
    public const string FormMediaType = "application/x-www-form-urlencoded";

    private const int MaxEchoLength = 200;

    /// <summary>The media type of the request's body (lower case, without parameters); null when none is declared.</summary>
    public static string? MediaType(ApiRequest request) =>
        request.Headers.TryGetValue("Content-Type", out var value) && value.Split(';', 2)[0].Trim() is { Length: > 0 } type
            ? type.ToLowerInvariant()
            : null;

    /// <summary><c>application/json</c> or any <c>type/subtype+json</c>.</summary>
    public static bool IsJson(string? mediaType) =>
        mediaType is not null && (mediaType == "application/json"
            || (mediaType.EndsWith("+json", StringComparison.Ordinal) && mediaType.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash && slash < mediaType.Length - 6));

    /// <summary>
    /// 415 for a request that carries a body (of any method) in a media type that is neither JSON nor one of
    /// <paramref name="accepted"/>; a missing <c>Content-Type</c> counts as not JSON. Null when the body may be read.
    /// </summary>
    public static ApiResponse? CheckMediaType(ApiRequest request, IReadOnlyList<string> accepted)
    {
        if (request.Body.IsEmpty)
        {
            return null;
        }

        var type = MediaType(request);
        if (IsJson(type) || (type is not null && accepted.Contains(type)))
        {
            return null;
        }

        var expected = string.Join(", ", new[] { "application/json", "*/*+json" }.Concat(accepted));
        return ApiResponse.Error(
            415,
            ApiErrorCodes.UnsupportedMediaType,
            $"The body's Content-Type must be one of {expected}.",
            [new ApiProblem("Content-Type", type is null ? "The header is missing." : $"'{Printable(type)}' is not accepted here.")]);
    }

    /// <summary>
    /// Whether <paramref name="json"/> nests deeper than <see cref="MaxJsonDepth"/> before its first syntax error: the
    /// reason a parse with that limit failed, rather than malformed JSON.
    /// </summary>
    public static bool IsTooDeep(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxJsonDepth + 1, CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= MaxJsonDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return false;
    }

    /// <summary>The 400 answer for JSON deeper than <see cref="MaxJsonDepth"/>.</summary>
    public static ApiResponse TooDeep() => ApiResponse.Error(
        400,
        ApiErrorCodes.TooDeep,
        $"The body is nested deeper than {MaxJsonDepth} levels, the limit of every route.",
        [new ApiProblem("", $"Objects and arrays may nest at most {MaxJsonDepth} levels deep.")]);

    /// <summary>
    /// A webhook body of a declared non-JSON type as JSON: a form post's fields as an object (a repeated field as an
    /// array of its values), anything else as a string.
    /// </summary>
    public static JsonElement? FromDeclaredType(string mediaType, ReadOnlyMemory<byte> body)
    {
        var text = Encoding.UTF8.GetString(body.Span);
        if (mediaType != FormMediaType)
        {
            return JsonSerializer.SerializeToElement(text);
        }

        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            if (!fields.TryGetValue(name, out var values))
            {
                fields[name] = values = [];
            }

            values.Add(value);
        }

        return JsonSerializer.SerializeToElement(fields.ToDictionary(f => f.Key, f => f.Value.Count == 1 ? (object)f.Value[0] : f.Value, StringComparer.Ordinal));
    }

    /// <summary>
    /// The continuation token the API hands out for a backend's token: base64url of the token followed by 8 bytes of its
    /// SHA-256, so that a token the API never issued is recognised (<see cref="TryReadToken"/>) before it reaches the
    /// backend — some backends ignore a token they cannot read and answer the first page again.
    /// </summary>
    public static string? WrapToken(string? backendToken)
    {
        if (backendToken is null)
        {
            return null;
        }

        var bytes = Encoding.UTF8.GetBytes(backendToken);
        return Base64Url.EncodeToString([.. bytes, .. System.Security.Cryptography.SHA256.HashData(bytes).AsSpan(0, TokenCheckBytes)]);
    }

    /// <summary>Reads a token made by <see cref="WrapToken"/>; false for anything else.</summary>
    public static bool TryReadToken(string token, out string backendToken)
    {
        backendToken = "";
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            return false;
        }

        if (bytes.Length <= TokenCheckBytes)
        {
            return false;
        }

        var content = bytes.AsSpan(0, bytes.Length - TokenCheckBytes);
        if (!System.Security.Cryptography.SHA256.HashData(content).AsSpan(0, TokenCheckBytes).SequenceEqual(bytes.AsSpan(bytes.Length - TokenCheckBytes)))
        {
            return false;
        }

        try
        {
            backendToken = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private const int TokenCheckBytes = 8;

    /// <summary>
    /// Whether a host name (without port) names this machine's loopback: <c>localhost</c>, <c>127.0.0.1</c> or <c>[::1]</c>.
    /// A host without an API key answers only requests addressed so (the defence against DNS rebinding).
    /// </summary>
    public static bool IsLoopbackHostName(string name) =>
        name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name is "127.0.0.1" or "[::1]" or "::1";

    /// <summary>
    /// Whether <paramref name="runId"/> can name a run. Internal orchestrations — concurrency gates
    /// (<c>cronflow-gate~…</c>) and for-each chunks (ids with '~'), entities ('@') — are not runs, and no run id is
    /// blank or holds control characters.
    /// </summary>
    public static bool IsRunId(string runId) =>
        !string.IsNullOrWhiteSpace(runId)
        && !runId.Contains(RunInfoMapper.ChildSeparator, StringComparison.Ordinal)
        && !runId.StartsWith('@')
        && !runId.Any(char.IsControl);

    /// <summary>
    /// Caller-supplied text made safe to echo in a message or write to a log: control, format and line-separator
    /// characters become <c>\uXXXX</c> (no forged log lines, no terminal escapes), and the text is cut at
    /// <paramref name="maxLength"/> characters.
    /// </summary>
    public static string Printable(string value, int maxLength = MaxEchoLength)
    {
        ArgumentNullException.ThrowIfNull(value);
        var clean = true;
        foreach (var c in value)
        {
            if (NeedsEscape(c))
            {
                clean = false;
                break;
            }
        }

        if (clean && value.Length <= maxLength)
        {
            return value;
        }

        var builder = new StringBuilder(Math.Min(value.Length, maxLength) + 16);
        foreach (var c in value)
        {
            if (builder.Length >= maxLength)
            {
                builder.Append('…');
                break;
            }

            if (NeedsEscape(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static string Decode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
}
