namespace Cronflow.Benchmarks;

/// <summary>Command-line settings: how much of everything to run.</summary>
internal sealed class Settings
{
    public bool Quick { get; private init; }

    /// <summary>Skip the Azurite scenarios even if Azurite is reachable.</summary>
    public bool InMemoryOnly { get; private init; }

    /// <summary>Run only these bars (P1…P9); empty means all.</summary>
    public IReadOnlySet<string> Only { get; private init; } = new HashSet<string>();

    public string ConnectionString { get; private init; } = "UseDevelopmentStorage=true";

    /// <summary>Overrides the Azure Storage message visibility timeout of the host (default: the host's own default).</summary>
    public TimeSpan? VisibilityTimeout { get; private init; }

    /// <summary>Writes the engine's and the backend's warnings and errors (with the time) to this file.</summary>
    public string? LogFile { get; private init; }

    /// <summary>Fails every n-th orchestration commit on Azurite on purpose (0: none), to see what one failure does to a batch.</summary>
    public int FailCommitEvery { get; private init; }

    /// <summary>
    /// Holds the n-th step fetch on Azurite for <see cref="FaultInjectingOrchestrationService.HangTime"/> before it
    /// reaches the backend (0: none), as a storage request left unanswered until the SDK's network timeout would.
    /// </summary>
    public int HangStepFetch { get; private init; }

    /// <summary>Overrides the number of throughput rounds on Azurite (P1 and P6).</summary>
    public int? AzuriteRounds { get; private init; }

    /// <summary>Instead of the bars: run the BenchmarkDotNet micro-benchmarks (replay and activity, both sides).</summary>
    public bool Micro { get; private init; }

    /// <summary>
    /// The floor of Cronflow's side: the 3-step sequence and the 10-way fan-out run on a bare orchestrator that only
    /// calls the step activity (<see cref="Harness.FloorOrchestrator"/>), for P1 and P9 in memory. The lines measure
    /// what Cronflow costs without its interpreter, so they carry no verdict.
    /// </summary>
    public bool Floor { get; private init; }

    /// <summary>Instead of the bars: run one side's 3-step batches for a while (to attach a profiler).</summary>
    public string? SoakSide { get; private init; }

    public TimeSpan SoakFor { get; private init; } = TimeSpan.FromSeconds(60);

    public TimeSpan Warmup { get; } = TimeSpan.FromSeconds(10);

    // In memory.
    public int ThroughputRounds => Quick ? 7 : 15;

    public int ThroughputRuns { get; private init; } = 1000;

    /// <summary>Full mode also measures bursts this large, to show how throughput depends on the runs in flight.</summary>
    public int LargeBurstRuns { get; } = 3000;

    public int FanOutRounds => Quick ? 5 : 15;

    public int WindowRounds => Quick ? 3 : 7;

    public int RaceRounds => Quick ? 5 : 15;

    public int PayloadRounds => Quick ? 1 : 3;

    public int WaitLatencyRuns => Quick ? 200 : 1000;

    public int WaitThroughputRounds => Quick ? 5 : 11;

    public int SleepingRuns { get; } = 10_000;

    public int SleepingRounds => Quick ? 1 : 3;

    // Azurite.
    public int AzuriteThroughputRounds => AzuriteRounds ?? (Quick ? 3 : 7);

    public int AzuriteThroughputRuns => Quick ? 20 : 100;

    public int AzuriteLatencyRuns => Quick ? 4 : 20;

    public bool Includes(string bar) => Only.Count == 0 || Only.Contains(bar);

    public static Settings Parse(string[] args)
    {
        var quick = false;
        var inMemory = false;
        var only = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var connection = "UseDevelopmentStorage=true";
        string? soak = null;
        var micro = false;
        var runs = 1000;
        TimeSpan? visibilityTimeout = null;
        string? logFile = null;
        int? azuriteRounds = null;
        var failCommitEvery = 0;
        var hangStepFetch = 0;
        var soakFor = TimeSpan.FromSeconds(60);
        var floor = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--in-memory":
                    inMemory = true;
                    break;
                case "--micro":
                    micro = true;
                    break;
                case "--floor":
                    floor = true;
                    break;
                case "--only" when i + 1 < args.Length:
                    foreach (var bar in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        only.Add(bar.ToUpperInvariant());
                    }

                    break;
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var batch) && batch > 0:
                    runs = batch;
                    i++;
                    break;
                case "--visibility-timeout" when i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var visibility) && visibility > 0:
                    visibilityTimeout = TimeSpan.FromSeconds(visibility);
                    i++;
                    break;
                case "--log" when i + 1 < args.Length:
                    logFile = args[++i];
                    break;
                case "--azurite-rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var rounds) && rounds > 0:
                    azuriteRounds = rounds;
                    i++;
                    break;
                case "--hang-step-fetch" when i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var hang) && hang > 0:
                    hangStepFetch = hang;
                    i++;
                    break;
                case "--fail-commit-every" when i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var every) && every > 0:
                    failCommitEvery = every;
                    i++;
                    break;
                case "--connection" when i + 1 < args.Length:
                    connection = args[++i];
                    break;
                case "--soak" when i + 1 < args.Length && args[i + 1] is "cronflow" or "raw" or "replay" or "replay-fanout" or "activity" or "fanout" or "fanout-raw":
                    soak = args[++i];
                    if (i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                    {
                        soakFor = TimeSpan.FromSeconds(seconds);
                        i++;
                    }

                    break;
                case "--help" or "-h":
                    throw new UsageException();
                default:
                    throw new UsageException($"Unknown argument '{args[i]}'.");
            }
        }

        if (floor)
        {
            // The floor replaces the workflows of P1 and P9 in memory, and only theirs.
            if (only.Any(bar => bar is not ("P1" or "P9")))
            {
                throw new UsageException("--floor measures P1 and P9 in memory only.");
            }

            if (only.Count == 0)
            {
                only = ["P1", "P9"];
            }

            inMemory = true;
        }

        return new Settings { Floor = floor, Quick = quick, InMemoryOnly = inMemory, Only = only, ConnectionString = connection, SoakSide = soak, SoakFor = soakFor, Micro = micro, ThroughputRuns = runs, VisibilityTimeout = visibilityTimeout, LogFile = logFile, AzuriteRounds = azuriteRounds, FailCommitEvery = failCommitEvery, HangStepFetch = hangStepFetch };
    }

    public const string Usage =
        "usage: Cronflow.Benchmarks [--quick] [--in-memory] [--only P1,P3,…] [--runs N] [--connection <storage connection string>] [--visibility-timeout S] [--azurite-rounds N] [--log FILE] [--fail-commit-every N] [--hang-step-fetch N] [--floor] [--soak cronflow|raw|replay|replay-fanout|activity|fanout|fanout-raw [seconds]] [--micro]\n" +
        "  --quick       fewer rounds (finishes in under 3 minutes); Azurite scenarios run only if Azurite is reachable\n" +
        "  --in-memory   skip the Azurite scenarios\n" +
        "  --only        run only the listed bars\n" +
        "  --runs N      runs per side and round in the in-memory throughput batches (default 1000)\n" +
        "  --connection  Azure Storage connection string (default UseDevelopmentStorage=true, i.e. Azurite)\n" +
        "  --visibility-timeout S  Azure Storage message visibility timeout in seconds (default: the host's default)\n" +
        "  --azurite-rounds N  throughput rounds per side on Azurite (P1 and P6; default 7, quick 3)\n" +
        "  --log FILE    write the engine's and the Azure Storage backend's warnings and errors, with the time, to FILE\n" +
        "  --fail-commit-every N  on Azurite, fail every N-th orchestration commit on purpose (as a refused storage request)\n" +
        "  --hang-step-fetch N  on Azurite, hold the N-th step fetch for 100 s (as a storage request left unanswered)\n" +
        "  --floor       P1 and P9 in memory with Cronflow's 3-step and fan-out workflows on a bare orchestrator that only calls\n" +
        "                the step activity: what Cronflow's client, messages and step activity cost without the interpreter\n" +
        "                (no verdicts; with --soak cronflow, fanout, replay or replay-fanout, Cronflow's side on the same orchestrator)\n" +
        "  --soak cronflow|raw|replay|activity|fanout|fanout-raw [seconds]  instead of the bars, run one side's in-memory 3-step\n" +
        "                batches, Cronflow's side of a micro-benchmark, or one side of P9's fan-out (trigger, then wait) in a loop\n" +
        "                (to attach dotnet-trace, dotnet-counters or perf)\n" +
        "  --micro       instead of the bars, run the BenchmarkDotNet micro-benchmarks (history replay and one activity, both sides)";
}

/// <summary>Bad command line.</summary>
internal sealed class UsageException(string? message = null) : Exception(message ?? "");
