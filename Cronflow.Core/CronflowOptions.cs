using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Cronflow;

/// <summary>Engine-wide limits and settings. Set them through <see cref="CronflowBuilder.Configure"/>.</summary>
public sealed class CronflowOptions
{
    /// <summary>The largest run payload accepted, in UTF-8 bytes of JSON (default 256 KiB).</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>The largest step output accepted, in UTF-8 bytes of JSON (default 256 KiB).</summary>
    public int MaxOutputBytes { get; set; } = 256 * 1024;

    /// <summary>The largest event payload accepted (<c>RaiseEventAsync</c>, <c>ResumeAsync</c>, published events), in bytes (default 256 KiB).</summary>
    public int MaxEventBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How many bytes of earlier step outputs each step receives in its input. An output that would not fit in what is
    /// left is stored once, by the step that produced it, in the host's output store, and later steps receive a
    /// reference that they read when they touch the output (see docs/architecture.md). Default 1 KiB;
    /// <see cref="int.MaxValue"/> copies every output into every step and stores none.
    /// </summary>
    public int InlineOutputBytes { get; set; } = DefaultInlineOutputBytes;

    internal const int DefaultInlineOutputBytes = 1024;

    /// <summary>
    /// How often a running step whose body has read its <c>CancellationToken</c> asks the backend whether its run was
    /// cancelled or the step abandoned (a block that timed out, failed fast or was decided without it), so that the
    /// token fires on whichever host runs the step. Default 1 s: the longest delay before such a token fires, and one
    /// instance read per interval per such step. Bodies that never read their token are never checked.
    /// </summary>
    public TimeSpan CancellationCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(MaxPayloadBytes), MaxPayloadBytes), (nameof(MaxOutputBytes), MaxOutputBytes), (nameof(MaxEventBytes), MaxEventBytes), (nameof(InlineOutputBytes), InlineOutputBytes) })
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(name, value, $"CronflowOptions.{name} must be positive.");
            }
        }

        if (CancellationCheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CancellationCheckInterval), CancellationCheckInterval, $"CronflowOptions.{nameof(CancellationCheckInterval)} must be positive.");
        }
    }

    /// <summary>
    /// Throws <see cref="PayloadTooLargeException"/> when <paramref name="json"/> is over <paramref name="limit"/> bytes
    /// of UTF-8 (measured on the element's own bytes, without copying it). The message starts with
    /// <paramref name="whatFormat"/> filled with <paramref name="name"/>, built only when the check fails.
    /// </summary>
    internal static void CheckSize(JsonElement json, int limit, string limitName, string whatFormat, string name)
    {
        var size = JsonMarshal.GetRawUtf8Value(json).Length;
        if (size > limit)
        {
            throw new PayloadTooLargeException(string.Format(CultureInfo.InvariantCulture, whatFormat, name), size, limit, $"CronflowOptions.{limitName}");
        }
    }
}
