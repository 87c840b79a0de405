using System.Text.Json;

namespace Cronflow;

/// <summary>
/// The fields of a resume payload that a human-in-the-loop pause reads into its decision. Clients check a payload
/// before they send it; the interpreter checks what arrives, so a payload that bypassed a client fails the step
/// instead of the orchestration. Pure: safe in orchestration code.
/// </summary>
internal static class ResumePayload
{
    /// <summary>The first field of the wrong kind, as an exception to throw or report; null when the payload fits.</summary>
    public static InvalidResumePayloadException? Check(JsonElement? payload)
    {
        if (payload is not { ValueKind: JsonValueKind.Object } json)
        {
            return null;
        }

        var value = FlowValue.FromOwned(json);
        var approved = value["approved"].Json;
        if (approved.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return new InvalidResumePayloadException("approved", "true or false", Describe(approved));
        }

        var approvedAt = value["approvedAt"].Json;
        if (approvedAt.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) &&
            !(approvedAt.ValueKind == JsonValueKind.String && approvedAt.TryGetDateTimeOffset(out _)))
        {
            return new InvalidResumePayloadException("approvedAt", "an ISO 8601 date and time such as \"2026-01-31T17:00:00Z\"", Describe(approvedAt));
        }

        return null;
    }

    private static string Describe(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 100 ? text : text[..100] + "…";
    }
}
