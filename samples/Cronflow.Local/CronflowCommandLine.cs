using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Text.Json;
using Cronflow.Samples;

namespace Cronflow.Local;

/// <summary>
/// The <c>cronflow</c> command line: <c>serve</c> runs the local host with the sample workflows; <c>trigger</c>,
/// <c>show</c>, <c>runs</c>, <c>cancel</c>, <c>purge</c> and <c>resume</c> talk to any Cronflow host's HTTP API through
/// <see cref="CronflowHttpClient"/>.
/// </summary>
internal static class CronflowCommandLine
{
    /// <summary>Where the client commands find the API, and where <c>serve</c> listens, unless <c>--url</c> or <c>CRONFLOW_URL</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <summary>
    /// Runs the command line. Process signals are left to the commands: <c>serve</c> stops its host on Ctrl+C or TERM
    /// itself and must not be cut short by the parser's own termination timeout.
    /// </summary>
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        if (output is not null)
        {
            configuration.Output = output;
        }

        if (error is not null)
        {
            configuration.Error = error;
        }

        return Create().Parse(args).InvokeAsync(configuration);
    }

    /// <summary>The command tree, with the actions that run each command.</summary>
    public static RootCommand Create()
    {
        var url = new Option<string>("--url")
        {
            Description = "The host's address: where serve listens, and where the other commands find the API (or CRONFLOW_URL).",
            HelpName = "URL",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CRONFLOW_URL") is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultUrl,
        };
        url.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"--url must be an absolute http or https address, such as {DefaultUrl}.");
            }
        });
        var apiKeyFile = new Option<string?>("--api-key-file")
        {
            Description = "A file holding the API key (or CRONFLOW_API_KEY_FILE); otherwise the key comes from CRONFLOW_API_KEY. Never a command-line value.",
            HelpName = "PATH",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CRONFLOW_API_KEY_FILE") is { Length: > 0 } fromEnvironment ? fromEnvironment : null,
        };

        // Refused with a reason rather than as an unknown option: a key on the command line is visible to every user of the machine (ps).
        var apiKey = new Option<string?>("--api-key") { Hidden = true, Recursive = true };
        apiKey.Validators.Add(result => result.AddError("--api-key is not accepted: a key on the command line is visible to every user of the machine (ps). Set CRONFLOW_API_KEY, or pass --api-key-file PATH."));

        var root = new RootCommand("cronflow: the local Cronflow host with the sample workflows, and a client for any Cronflow host's HTTP API.")
        {
            Serve(url, apiKeyFile),
            Trigger(url, apiKeyFile),
            Show(url, apiKeyFile),
            Runs(url, apiKeyFile),
            Cancel(url, apiKeyFile),
            Purge(url, apiKeyFile),
            Resume(url, apiKeyFile),
        };
        root.Options.Add(url);
        root.Options.Add(apiKeyFile);
        root.Options.Add(apiKey);
        return root;
    }

    private static Command Serve(Option<string> url, Option<string?> apiKeyFile)
    {
        var inMemory = new Option<bool>("--in-memory") { Description = "Run the engine in memory (no storage; nothing survives the process)." };
        var connection = new Option<string>("--connection")
        {
            Description = "The storage connection string (or CRONFLOW_CONNECTION).",
            HelpName = "CS",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CRONFLOW_CONNECTION") is { Length: > 0 } fromEnvironment ? fromEnvironment : "UseDevelopmentStorage=true",
        };
        var taskHub = new Option<string>("--task-hub")
        {
            Description = "The Durable Task hub name (or CRONFLOW_TASK_HUB).",
            HelpName = "NAME",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CRONFLOW_TASK_HUB") is { Length: > 0 } fromEnvironment ? fromEnvironment : "cronflow",
        };
        var otelConsole = new Option<bool>("--otel-console") { Description = "Print Cronflow's traces and metrics with the OpenTelemetry console exporter (OTEL_EXPORTER_OTLP_ENDPOINT exports them over OTLP)." };
        var command = new Command("serve", "Serve the sample workflows, the HTTP API and the run inspector, on Azurite (UseDevelopmentStorage=true) or in memory.")
        {
            inMemory, connection, taskHub, otelConsole,
        };
        command.SetAction(parse => Guarded(parse, () => ServeCommand.RunAsync(new ServeSettings(
            parse.GetValue(url)!.TrimEnd('/'),
            parse.GetValue(inMemory),
            parse.GetValue(connection)!,
            parse.GetValue(taskHub)!,
            ApiKey(parse.GetValue(apiKeyFile)),
            parse.GetValue(otelConsole)))));
        return command;
    }

    private static Command Trigger(Option<string> url, Option<string?> apiKeyFile)
    {
        var workflow = new Argument<string>("workflow") { Description = "The workflow id." };
        var payload = new Option<string?>("--payload") { Description = "The run's input as JSON (default: the sample's example payload).", HelpName = "JSON" };
        var follow = new Option<bool>("--follow") { Description = "Print each step as it starts, waits and finishes, then the run's timeline; exit 2 if the run does not complete." };
        var command = new Command("trigger", "Start a run of a workflow.") { workflow, payload, follow };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, url, apiKeyFile, async (client, output) =>
        {
            var workflowId = parse.GetValue(workflow)!;
            var input = ParseJson(parse.GetValue(payload) ?? SamplePayloadFor(workflowId), "--payload");
            var runId = await client.TriggerAsync(workflowId, input, cancellationToken: cancellationToken);
            await output.WriteLineAsync($"Started run {runId} of {workflowId}.");
            if (!parse.GetValue(follow))
            {
                await output.WriteLineAsync($"Follow it with: cronflow show {runId}");
                return 0;
            }

            return await FollowAsync(client, runId, output, cancellationToken);
        }));
        return command;
    }

    private static Command Show(Option<string> url, Option<string?> apiKeyFile)
    {
        var runId = new Argument<string>("run-id") { Description = "The run id." };
        var command = new Command("show", "Print a run's timeline.") { runId };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, url, apiKeyFile, async (client, output) =>
        {
            var id = parse.GetValue(runId)!;
            var run = await client.GetRunAsync(id, cancellationToken) ?? throw new RunNotFoundException(id);
            new RunPrinter(output).PrintTimeline(run);
            return 0;
        }));
        return command;
    }

    private static Command Runs(Option<string> url, Option<string?> apiKeyFile)
    {
        var workflow = new Option<string?>("--workflow") { Description = "Only runs of this workflow.", HelpName = "ID" };
        var status = new Option<RunStatus?>("--status") { Description = "Only runs in this state: Pending, Running, Waiting, Completed, Failed or Cancelled.", HelpName = "STATUS" };
        var limit = new Option<int>("--limit") { Description = "At most this many runs, newest first (1-1000).", HelpName = "N", DefaultValueFactory = _ => 100 };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 1000)
            {
                result.AddError("--limit must be from 1 to 1000.");
            }
        });
        var command = new Command("runs", "List runs, newest first.") { workflow, status, limit };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, url, apiKeyFile, async (client, output) =>
        {
            var query = new RunQuery { WorkflowId = parse.GetValue(workflow), Status = parse.GetValue(status), PageSize = parse.GetValue(limit) };
            var page = await client.ListRunsAsync(query, cancellationToken);
            foreach (var run in page.Runs)
            {
                await output.WriteLineAsync($"{run.Id,-40} {run.WorkflowId,-32} {run.Status,-10} {run.CreatedAt:u}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Cancel(Option<string> url, Option<string?> apiKeyFile)
    {
        var runId = new Argument<string>("run-id") { Description = "The run id." };
        var reason = new Option<string?>("--reason") { Description = "Why: the cancelled run's error message.", HelpName = "TEXT" };
        var command = new Command("cancel", "Cancel a run (its subflows and running steps too).") { runId, reason };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, url, apiKeyFile, async (client, output) =>
        {
            var id = parse.GetValue(runId)!;
            await client.CancelAsync(id, parse.GetValue(reason), cancellationToken);
            await output.WriteLineAsync($"Cancelled run {id}.");
            return 0;
        }));
        return command;
    }

    private static Command Purge(Option<string> url, Option<string?> apiKeyFile)
    {
        var runId = new Argument<string>("run-id") { Description = "The run id." };
        var command = new Command("purge", "Delete an ended run for good: its history, its sub-orchestrations and its stored step outputs.") { runId };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, url, apiKeyFile, async (client, output) =>
        {
            var id = parse.GetValue(runId)!;
            if (!await client.PurgeRunAsync(id, cancellationToken))
            {
                throw new RunNotFoundException(id);
            }

            await output.WriteLineAsync($"Purged run {id}.");
            return 0;
        }));
        return command;
    }

    private static Command Resume(Option<string> url, Option<string?> apiKeyFile)
    {
        var token = new Argument<string>("token") { Description = "The resume token (printed by serve, and in the run's pauses: cronflow show RUN_ID)." };
        var payload = new Option<string>("--payload")
        {
            Description = "The decision as JSON, such as {\"approved\":false,\"reason\":\"duplicate\"}.",
            HelpName = "JSON",
            DefaultValueFactory = _ => """{"approved":true}""",
        };
        var command = new Command("resume", "Resume a run paused for a person (HumanInTheLoop).") { token, payload };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, url, apiKeyFile, async (client, output) =>
        {
            await client.ResumeAsync(parse.GetValue(token)!, ParseJson(parse.GetValue(payload)!, "--payload"), cancellationToken);
            await output.WriteLineAsync("Resumed.");
            return 0;
        }));
        return command;
    }

    /// <summary>Polls the run and prints each change, a progress line on a terminal, and the timeline at the end.</summary>
    private static async Task<int> FollowAsync(CronflowHttpClient client, string runId, TextWriter output, CancellationToken cancellationToken)
    {
        var printer = new RunPrinter(output);
        var clock = Stopwatch.StartNew();
        var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        while (true)
        {
            var run = await client.GetRunAsync(runId, cancellationToken) ?? throw new RunNotFoundException(runId);
            if (interactive)
            {
                await output.WriteAsync("\r" + new string(' ', 100) + "\r");
            }

            printer.PrintChanges(run);
            if (run.IsFinished)
            {
                await output.WriteLineAsync();
                printer.PrintTimeline(run);
                return run.Status == RunStatus.Completed ? 0 : 2;
            }

            if (interactive)
            {
                await output.WriteAsync(RunPrinter.Progress(run, clock.Elapsed));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Runs a client command with a <see cref="CronflowHttpClient"/> for <c>--url</c> and the key; failures become a message and exit code 1.</summary>
    private static Task<int> WithClientAsync(ParseResult parse, Option<string> url, Option<string?> apiKeyFile, Func<CronflowHttpClient, TextWriter, Task<int>> action) =>
        Guarded(parse, async () =>
        {
            var address = parse.GetValue(url)!;
            using var client = new CronflowHttpClient(new Uri(address), new CronflowHttpClientOptions { ApiKey = ApiKey(parse.GetValue(apiKeyFile)) });
            try
            {
                return await action(client, parse.InvocationConfiguration.Output);
            }
            catch (HttpRequestException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"cronflow: cannot reach the host at {address}: {ex.Message}. Is `cronflow serve` running?");
                return 1;
            }
        });

    private static async Task<int> Guarded(ParseResult parse, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is CronflowException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"cronflow: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The API key: the file named by <c>--api-key-file</c> (or <c>CRONFLOW_API_KEY_FILE</c>), else the environment
    /// variable <c>CRONFLOW_API_KEY</c>.
    /// </summary>
    internal static string? ApiKey(string? keyFile)
    {
        if (keyFile is { Length: > 0 } path)
        {
            var key = File.ReadAllText(path).Trim();
            return key.Length > 0 ? key : throw new ArgumentException($"The API key file {path} is empty.");
        }

        return Environment.GetEnvironmentVariable("CRONFLOW_API_KEY") is { Length: > 0 } value ? value : null;
    }

    private static JsonElement ParseJson(string json, string option)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{option} is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>The sample's example payload, so that <c>cronflow trigger SAMPLE</c> needs nothing else.</summary>
    internal static string SamplePayloadFor(string workflowId)
    {
        try
        {
            return JsonSerializer.Serialize(SamplePayloads.For(workflowId), CronflowJson.Options);
        }
        catch (KeyNotFoundException)
        {
            return workflowId switch
            {
                DurableSampleIds.RefundApproval => """{"refundId":"r-1","amount":40,"reason":"damaged"}""",
                DurableSampleIds.Settlement => """{"paymentId":"p-1"}""",
                DurableSampleIds.OrderIntake => """{"orderId":"A-1","amount":25,"customer":"ada"}""",
                DurableSampleIds.Payment => """{"orderId":"A-1","amount":25}""",
                DurableSampleIds.OrderCreated => """{"orderId":"A-2"}""",
                _ => "{}",
            };
        }
    }
}
