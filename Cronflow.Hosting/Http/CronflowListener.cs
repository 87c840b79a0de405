namespace Cronflow;

/// <summary>
/// The local listener that <see cref="CronflowHostOptions.ListenOn"/> starts beside the engine in a generic host
/// (resolve it from the host's services). <see cref="CronflowHost.Urls"/> reads the same addresses.
/// </summary>
public sealed class CronflowListener
{
    internal CronflowListener()
    {
    }

    /// <summary>The addresses bound, such as <c>http://127.0.0.1:53011</c> for <c>ListenOn("http://127.0.0.1:0")</c>; empty until the host has started.</summary>
    public IReadOnlyList<string> Urls { get; internal set; } = [];
}
