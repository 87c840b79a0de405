using System.Collections.Concurrent;
using System.Diagnostics;

namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>
/// A <c>Cronflow.TestHost</c> process on a task hub, serving the HTTP API on a free loopback port. Disposing kills it
/// (if it still runs) and writes the end of its log to the test output.
/// </summary>
internal sealed class TestHostProcess : IAsyncDisposable
{
    /// <summary>The start of the warning the host logs when it drops a repeated result (Cronflow.Engine, event 4401).</summary>
    private const string DroppedResultMessage = "Dropped a repeated ";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly string _name;
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentQueue<string> _finishedSteps = new();
    private readonly ConcurrentQueue<string> _droppedResults = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestHostProcess(Process process, string name, ITestOutputHelper output)
    {
        _process = process;
        _name = name;
        _output = output;
    }

    /// <summary>The base address the host serves (from its <c>READY</c> line).</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The chain steps whose body finished in this process, as "&lt;run id&gt; &lt;step&gt;" (one entry per execution).</summary>
    public IReadOnlyCollection<string> FinishedSteps => _finishedSteps;

    /// <summary>The log lines in which the host dropped a repeated step (or timer) result before it reached the history.</summary>
    public IReadOnlyCollection<string> DroppedResults => _droppedResults;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts a host on <paramref name="taskHub"/> and returns once it prints <c>READY &lt;url&gt;</c>.</summary>
    public static async Task<TestHostProcess> StartAsync(string name, string taskHub, ITestOutputHelper output, params string[] extraArguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[TestHostDll(), "--connection", Storage.ConnectionString, "--task-hub", taskHub, "--url", "http://127.0.0.1:0", .. extraArguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new TestHostProcess(process, name, output);
        process.OutputDataReceived += (_, e) => host.OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => host.OnLine(e.Data, isError: true);
        process.Exited += (_, _) => host._ready.TrySetException(new InvalidOperationException($"Test host '{name}' exited before it was ready.\n{host.LogTail()}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            host.Url = new Uri(await host._ready.Task.WaitAsync(StartTimeout));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        output.WriteLine($"[{name}] pid {process.Id} serving {host.Url}");
        return host;
    }

    /// <summary>Kills the process at once (SIGKILL, as <c>kill -9</c>) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _output.WriteLine($"[{_name}] log tail:\n{LogTail()}");
        _process.Dispose();
    }

    private void OnLine(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        if (!isError && line.StartsWith("STEP ", StringComparison.Ordinal))
        {
            _finishedSteps.Enqueue(line["STEP ".Length..]);
            return;
        }

        if (line.Contains(DroppedResultMessage, StringComparison.Ordinal))
        {
            _droppedResults.Enqueue(line);
        }

        _log.Enqueue((isError ? "err: " : "out: ") + line);
        while (_log.Count > 200 && _log.TryDequeue(out _))
        {
        }

        if (!isError && line.StartsWith("READY ", StringComparison.Ordinal))
        {
            _ready.TrySetResult(line["READY ".Length..].Trim());
        }
    }

    private string LogTail() => string.Join('\n', _log.TakeLast(40));

    /// <summary>The dotnet host running these tests (so the same runtime runs the test host), else <c>dotnet</c> on the PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? current
            : "dotnet";
    }

    /// <summary>
    /// The built test host: both projects build in the same configuration and target framework, so from
    /// <c>tests/Cronflow.Azurite.Tests/bin/&lt;configuration&gt;/&lt;tfm&gt;/</c> it is in
    /// <c>tests/Cronflow.TestHost/bin/&lt;configuration&gt;/&lt;tfm&gt;/</c>.
    /// </summary>
    private static string TestHostDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent?.Name;
        var tests = here.Parent?.Parent?.Parent?.Parent;
        var dll = tests is null || configuration is null
            ? null
            : Path.Combine(tests.FullName, "Cronflow.TestHost", "bin", configuration, tfm, "Cronflow.TestHost.dll");
        return dll is not null && File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"The test host was not found next to the tests (looked for {dll ?? "tests/Cronflow.TestHost/bin/<configuration>/<tfm>"}); build the solution first.");
    }
}
