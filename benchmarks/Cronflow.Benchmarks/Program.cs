using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime;
using System.Runtime.InteropServices;
using Cronflow.Benchmarks;
using Cronflow.Benchmarks.Harness;
using Cronflow.Benchmarks.Scenarios;

Settings settings;
try
{
    settings = Settings.Parse(args);
}
catch (UsageException ex)
{
    if (ex.Message.Length > 0)
    {
        Console.Error.WriteLine(ex.Message);
    }

    Console.Error.WriteLine(Settings.Usage);
    return 2;
}

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var total = Stopwatch.StartNew();
PrintMachine(settings);

if (settings.Micro)
{
    Cronflow.Benchmarks.Micro.MicroBenchmarks.Run();
    return 0;
}

if (settings.SoakSide is "replay" or "replay-fanout" or "activity")
{
    await Cronflow.Benchmarks.Micro.MicroBenchmarks.SoakAsync(settings.SoakSide, settings.SoakFor, settings.Floor);
    return 0;
}

if (settings.SoakSide is "fanout" or "fanout-raw")
{
    await using var fanOutHost = await BenchHost.StartAsync(Engine.InMemory, floor: settings.Floor);
    await WaitScenarios.SoakFanOutAsync(fanOutHost, settings.SoakSide == "fanout", settings.SoakFor);
    return 0;
}

if (settings.SoakSide is { } soakSide)
{
    await using var soakHost = await BenchHost.StartAsync(Engine.InMemory, floor: settings.Floor);
    await InMemoryScenarios.SoakAsync(soakHost, soakSide == "cronflow", settings.SoakFor);
    return 0;
}

var results = new List<BarResult>();
var inMemoryBars = new[] { "P1", "P2", "P3", "P4", "P5", "P7", "P9" };
if (inMemoryBars.Any(settings.Includes))
{
    await using var host = await BenchHost.StartAsync(Engine.InMemory, floor: settings.Floor);
    if (settings.Floor)
    {
        Console.WriteLine("note: floor run: Cronflow's 3-step and fan-out workflows run on a bare orchestrator that only calls the step activity; the lines carry no verdict");
    }

    await InMemoryScenarios.WarmUpAsync(host, settings.Warmup);
    if (settings.Includes("P1") || settings.Includes("P2"))
    {
        results.AddRange(await Guard("P1/P2", "in-memory throughput", () => InMemoryScenarios.ThroughputAsync(host, settings, settings.Includes("P1"), settings.Includes("P2"))));
    }

    if (settings.Includes("P3"))
    {
        results.AddRange(await Guard("P3", "fan-out", () => InMemoryScenarios.FanOutAsync(host, settings)));
    }

    if (settings.Includes("P4"))
    {
        results.AddRange(await Guard("P4", "sliding window", () => InMemoryScenarios.WindowAsync(host, settings)));
    }

    if (settings.Includes("P5"))
    {
        results.AddRange(await Guard("P5", "race and timeouts", () => InMemoryScenarios.RaceAndTimeoutsAsync(host, settings)));
    }

    if (settings.Includes("P7"))
    {
        results.AddRange(await Guard("P7", "payload growth", () => InMemoryScenarios.PayloadAsync(host, settings)));
    }

    if (settings.Includes("P9"))
    {
        results.AddRange(await Guard("P9", "what a caller waits for", () => WaitScenarios.RunAsync(host, settings)));
    }
}

if (settings.Includes("P1") || settings.Includes("P6"))
{
    var why = settings.InMemoryOnly ? "--in-memory" : await AzuriteReachableAsync(settings.ConnectionString) ? null : "Azurite is not reachable on 127.0.0.1:10000-10002";
    if (why is null)
    {
        var taskHub = "bench" + Guid.NewGuid().ToString("N")[..12];
        using var logging = settings.LogFile is { } logFile ? FileLoggerProvider.CreateFactory(logFile) : null;
        using var storageRequests = logging is null ? null : FileLoggerProvider.ListenToSlowStorageRequests(logging);
        await using var host = await BenchHost.StartAsync(Engine.Azurite, taskHub, settings.ConnectionString, settings.VisibilityTimeout, logging, settings.FailCommitEvery, hangStepFetch: settings.HangStepFetch);
        if (settings.VisibilityTimeout is { } visibility)
        {
            Console.WriteLine($"note: Azure Storage visibility timeout set to {visibility.TotalSeconds:F0} s for this run");
        }

        if (settings.FailCommitEvery > 0)
        {
            Console.WriteLine($"note: every {settings.FailCommitEvery}th orchestration commit fails on purpose in this run");
        }

        if (settings.HangStepFetch > 0)
        {
            Console.WriteLine($"note: step fetch {settings.HangStepFetch} waits {FaultInjectingOrchestrationService.HangTime.TotalSeconds:F0} s on purpose in this run");
        }

        await AzuriteScenarios.WarmUpAsync(host);
        if (settings.Includes("P1"))
        {
            results.AddRange(await Guard("P1", "Azurite", () => AzuriteScenarios.ThroughputAsync(host, settings)));
        }

        if (settings.Includes("P6"))
        {
            results.AddRange(await Guard("P6", "Azurite 5-step", () => AzuriteScenarios.SequentialAsync(host, settings)));
        }
    }
    else
    {
        if (settings.Includes("P1"))
        {
            results.Add(BarResult.Skipped("P1", "Azurite", why));
        }

        if (settings.Includes("P6"))
        {
            results.Add(BarResult.Skipped("P6", "Azurite", why));
        }
    }
}

// Last: the in-memory backend keeps each sleeping run's hour-long timer, so these hosts stay in memory until the end.
if (settings.Includes("P8"))
{
    results.AddRange(await Guard("P8", "sleeping-run memory", () => MemoryScenario.RunAsync(settings)));
}

// A floor run measures Cronflow without its interpreter: its lines are figures, not the bars' verdicts.
results = results.Select(r => settings.Floor ? r with { What = "floor: " + r.What, Pass = null } : r).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
Console.WriteLine("== summary ==");
foreach (var result in results)
{
    Console.WriteLine(result.Pass is null && result.Note.StartsWith("skipped", StringComparison.Ordinal) ? $"{result.Id} {result.What} SKIP ({result.Note})" : result.Line);
}

Console.WriteLine();
Console.WriteLine("| bar | what | result | bar | verdict | details |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var result in results)
{
    Console.WriteLine($"| {result.Id} | {result.What} | {result.Value} | {result.Bar} | {result.Verdict} | {result.Note} |");
}

Console.WriteLine();
Console.WriteLine($"finished in {total.Elapsed.TotalSeconds:F0} s");
return 0;

// A scenario that throws (a run that never finishes, a backend error) is reported as an error; the others still run.
static async Task<List<BarResult>> Guard(string id, string what, Func<Task<List<BarResult>>> scenario)
{
    try
    {
        return await scenario();
    }
    catch (Exception ex) when (ex is not OutOfMemoryException)
    {
        Console.WriteLine($"    ERROR in {id} {what}: {ex.GetType().Name}: {ex.Message}");

        // Where it came from: the frames of this program and of Cronflow (the storage SDK's own frames say little).
        foreach (var frame in (ex.StackTrace ?? "").Split('\n').Where(line => line.Contains("Cronflow", StringComparison.Ordinal)).Take(8))
        {
            Console.WriteLine($"      {frame.Trim()}");
        }

        Console.WriteLine();
        return [new BarResult(id, what, "-", "-", false, $"error: {ex.GetType().Name}: {ex.Message}")];
    }
}

static void PrintMachine(Settings settings)
{
    var gc = GCSettings.IsServerGC ? "server" : "workstation";
    var concurrent = GCSettings.LatencyMode == GCLatencyMode.Batch ? "non-concurrent" : "concurrent";
    Console.WriteLine("== machine ==");
    Console.WriteLine($"    os        {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
    Console.WriteLine($"    cpu       {CpuModel()}; {Environment.ProcessorCount} logical cores visible to .NET");
    Console.WriteLine($"    memory    {MemoryTotal()}");
    Console.WriteLine($"    .NET      {RuntimeInformation.FrameworkDescription}; GC {gc}, {concurrent}; tiered compilation {Env("DOTNET_TieredCompilation", "default (on)")}, tiered PGO {Env("DOTNET_TieredPGO", "default (on)")}");
    Console.WriteLine($"    build     {(IsOptimized() ? "optimized (Release)" : "NOT optimized (Debug): numbers are not representative")}");
    Console.WriteLine($"    mode      {(settings.Quick ? "quick" : "full")}{(settings.Only.Count > 0 ? $", only {string.Join(",", settings.Only)}" : "")}{(settings.InMemoryOnly ? ", in memory only" : "")}");
    Console.WriteLine($"    started   {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC");
    Console.WriteLine();
}

static string CpuModel()
{
    try
    {
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
    catch (IOException)
    {
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
    catch (UnauthorizedAccessException)
    {
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}

static string MemoryTotal()
{
    var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    return $"{available / 1024.0 / 1024 / 1024:F1} GiB available to the GC";
}

static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) ?? fallback;

static bool IsOptimized() =>
    typeof(BenchHost).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false) is not [DebuggableAttribute { IsJITOptimizerDisabled: true }];

static async Task<bool> AzuriteReachableAsync(string connectionString)
{
    if (!connectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
    {
        return true; // A real account: let the backend report problems itself.
    }

    foreach (var port in new[] { 10000, 10001, 10002 })
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    return true;
}
