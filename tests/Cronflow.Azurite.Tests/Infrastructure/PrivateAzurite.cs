using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>
/// An Azurite of the test's own, on free ports and with its data in a folder, so that a test can stop storage and
/// start it again (an outage) without touching the Azurite other tests share. Stopped only through the process it started.
/// </summary>
internal sealed class PrivateAzurite : IAsyncDisposable
{
    /// <summary>The variable naming the Azurite executable; otherwise <c>.tools/azurite</c> at the repository root is used.</summary>
    public const string BinaryVariable = "CRONFLOW_AZURITE_BIN";

    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _binary;
    private readonly string _location = Path.Combine(Path.GetTempPath(), "cronflow-azurite-" + Guid.NewGuid().ToString("N"));
    private readonly int[] _ports;
    private Process? _process;

    private PrivateAzurite(string binary, int[] ports)
    {
        _binary = binary;
        _ports = ports;
        Directory.CreateDirectory(_location);
    }

    /// <summary>The connection string of this Azurite.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{_ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{_ports[2]}/devstoreaccount1;";

    /// <summary>The Azurite executable, or null when none is installed.</summary>
    public static string? FindBinary()
    {
        if (Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "azurite", "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts an Azurite on three free ports, persisting to a new folder.</summary>
    public static async Task<PrivateAzurite> StartAsync()
    {
        var binary = FindBinary() ?? throw new InvalidOperationException($"No Azurite executable: set {BinaryVariable}.");
        var azurite = new PrivateAzurite(binary, [FreePort(), FreePort(), FreePort()]);
        await azurite.StartAgainAsync();
        return azurite;
    }

    /// <summary>Starts the process (again), on the same ports and data; returns when every port accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[
            "--silent", "--skipApiVersionCheck", "--location", _location,
            "--blobHost", "127.0.0.1", "--blobPort", Port(0),
            "--queueHost", "127.0.0.1", "--queuePort", Port(1),
            "--tableHost", "127.0.0.1", "--tablePort", Port(2)])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Poll.UntilAsync("the private Azurite's ports to accept connections", () => Task.FromResult(_ports.All(Accepts)), open => open, TimeSpan.FromSeconds(60));
    }

    /// <summary>Stops the process (the outage); returns when it has exited and its ports refuse connections.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        // A TERM lets Azurite save its data to the folder (a KILL can lose the last writes); it often needs a second one.
        for (var attempt = 0; attempt < 2 && !process.HasExited; attempt++)
        {
            _ = Kill(process.Id, Terminate);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // Not yet: signal again, then kill.
            }
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
        await Poll.UntilAsync("the private Azurite's ports to close", () => Task.FromResult(_ports.All(p => !Accepts(p))), closed => closed, TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_location, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder; nothing depends on it.
        }
    }

    private const int Terminate = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private string Port(int index) => _ports[index].ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
