namespace Cronflow.Local;

/// <summary>Command-line words: a command, positional values and <c>--name value</c> options.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.OrdinalIgnoreCase);

    private Arguments(string command, List<string> positional)
    {
        Command = command;
        Positional = positional;
    }

    public string Command { get; }

    public IReadOnlyList<string> Positional { get; }

    public static Arguments Parse(string[] args)
    {
        var positional = new List<string>();
        var options = new List<(string Name, string? Value)>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var name = args[i][2..];
                var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) && !IsFlag(name) ? args[++i] : null;
                options.Add((name, value));
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        var command = positional.Count > 0 && Commands.Contains(positional[0]) ? positional[0] : "serve";
        if (positional.Count > 0 && positional[0] == command)
        {
            positional.RemoveAt(0);
        }

        var parsed = new Arguments(command, positional);
        foreach (var (name, value) in options)
        {
            parsed._options[name] = value;
        }

        return parsed;
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name, string? fallback = null) =>
        _options.TryGetValue(name, out var value) ? value ?? fallback : Environment.GetEnvironmentVariable("CRONFLOW_" + name.Replace('-', '_').ToUpperInvariant()) ?? fallback;

    /// <summary>
    /// The API key: the file named by <c>--api-key-file</c> (or <c>CRONFLOW_API_KEY_FILE</c>), else the environment
    /// variable <c>CRONFLOW_API_KEY</c>. Never a command-line value: every user of the machine can read those in <c>ps</c>.
    /// </summary>
    public string? ApiKey()
    {
        if (Has("api-key"))
        {
            throw new ArgumentException("--api-key is not accepted: a key on the command line is visible to every user of the machine (ps). Set CRONFLOW_API_KEY, or pass --api-key-file PATH.");
        }

        if (Get("api-key-file") is { Length: > 0 } path)
        {
            var key = File.ReadAllText(path).Trim();
            return key.Length > 0 ? key : throw new ArgumentException($"The API key file {path} is empty.");
        }

        return Environment.GetEnvironmentVariable("CRONFLOW_API_KEY") is { Length: > 0 } value ? value : null;
    }

    private static readonly HashSet<string> Commands = new(StringComparer.Ordinal) { "serve", "trigger", "show", "runs", "help" };

    private static bool IsFlag(string name) => name is "in-memory" or "follow" or "help" or "otel-console";
}
