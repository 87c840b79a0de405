using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Cronflow;
using Cronflow.Local;
using Cronflow.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var arguments = Arguments.Parse(args);
try
{
    return arguments.Command switch
    {
        "trigger" => await TriggerAsync(arguments),
        "show" => await ShowAsync(arguments),
        "runs" => await ListAsync(arguments),
        "help" => Help(),
        _ => arguments.Has("help") ? Help() : await ServeCommand.RunAsync(new ServeSettings(
            BaseUrl(arguments),
            arguments.Has("in-memory"),
            arguments.Get("connection", "UseDevelopmentStorage=true")!,
            arguments.Get("task-hub", "cronflow")!,
            arguments.ApiKey(),
            arguments.Has("otel-console"))),
    };
}
catch (HttpRequestException ex)
{
    Console.Error.WriteLine($"cronflow: cannot reach the host at {BaseUrl(arguments)}: {ex.Message}. Is `cronflow serve` running?");
    return 1;
}
catch (Exception ex) when (ex is CronflowException or ArgumentException or InvalidOperationException)
{
    Console.Error.WriteLine($"cronflow: {ex.Message}");
    return 1;
}

static int Help()
{
    Console.WriteLine("""
        cronflow: the local Cronflow host with the sample workflows, and a client for it.

          cronflow [serve] [--in-memory] [--url URL] [--connection CS] [--task-hub NAME] [--api-key-file PATH] [--otel-console]
              Serves the sample workflows and the HTTP API (default http://127.0.0.1:7071) on Azurite
              (UseDevelopmentStorage=true, task hub "cronflow"), or fully in memory with --in-memory.
              --otel-console prints Cronflow's traces and metrics (OpenTelemetry console exporter); with
              OTEL_EXPORTER_OTLP_ENDPOINT set they are exported over OTLP.
          cronflow trigger WORKFLOW [--payload JSON] [--follow] [--url URL] [--api-key-file PATH]
              Starts a run (with the sample's example payload if none is given); --follow prints each step as it
              starts and finishes, then the run's timeline.
          cronflow show RUN_ID [--url URL] [--api-key-file PATH]
              Prints a run's timeline.
          cronflow runs [--workflow ID] [--status STATUS] [--url URL] [--api-key-file PATH]
              Lists runs, newest first.

        Options can also come from environment variables: CRONFLOW_URL, CRONFLOW_CONNECTION, CRONFLOW_TASK_HUB.
        The API key comes from CRONFLOW_API_KEY or the file named by --api-key-file (CRONFLOW_API_KEY_FILE), never the command line.
        """);
    return 0;
}

static string BaseUrl(Arguments arguments) => (arguments.Get("url") ?? "http://127.0.0.1:7071").TrimEnd('/');

static HttpClient Client(Arguments arguments)
{
    var http = new HttpClient { BaseAddress = new Uri(BaseUrl(arguments) + "/") };
    if (arguments.ApiKey() is { } key)
    {
        http.DefaultRequestHeaders.Add("x-api-key", key);
    }

    return http;
}

static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
{
    var body = await response.Content.ReadFromJsonAsync<JsonElement>();
    if (!response.IsSuccessStatusCode)
    {
        var error = body.TryGetProperty("error", out var e) ? e.GetProperty("message").GetString() : body.GetRawText();
        throw new InvalidOperationException($"{(int)response.StatusCode} {response.ReasonPhrase}: {error}");
    }

    return body;
}

static async Task<int> TriggerAsync(Arguments arguments)
{
    if (arguments.Positional.Count == 0)
    {
        throw new ArgumentException("Name the workflow to trigger: cronflow trigger WORKFLOW [--payload JSON] [--follow].");
    }

    var workflowId = arguments.Positional[0];
    var payload = arguments.Get("payload") ?? SamplePayloadFor(workflowId);
    using var http = Client(arguments);
    var started = await ReadAsync(await http.PostAsync($"api/workflows/{Uri.EscapeDataString(workflowId)}/runs", new StringContent(payload, Encoding.UTF8, "application/json")));
    var runId = started.GetProperty("runId").GetString()!;
    Console.WriteLine($"Started run {runId} of {workflowId}.");
    if (!arguments.Has("follow"))
    {
        Console.WriteLine($"Follow it with: cronflow show {runId}");
        return 0;
    }

    var printer = new RunPrinter(Console.Out);
    var clock = Stopwatch.StartNew();
    var interactive = !Console.IsOutputRedirected;
    while (true)
    {
        var run = await ReadAsync(await http.GetAsync($"api/runs/{Uri.EscapeDataString(runId)}"));
        if (interactive)
        {
            Console.Write("\r" + new string(' ', 100) + "\r");
        }

        printer.PrintChanges(run);
        var status = run.GetProperty("status").GetString();
        if (status is "Completed" or "Failed" or "Cancelled")
        {
            Console.WriteLine();
            printer.PrintTimeline(run);
            return status == "Completed" ? 0 : 2;
        }

        if (interactive)
        {
            Console.Write(RunPrinter.Progress(run, clock.Elapsed));
        }

        await Task.Delay(TimeSpan.FromMilliseconds(250));
    }
}

static string SamplePayloadFor(string workflowId)
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

static async Task<int> ShowAsync(Arguments arguments)
{
    if (arguments.Positional.Count == 0)
    {
        throw new ArgumentException("Name the run to show: cronflow show RUN_ID.");
    }

    using var http = Client(arguments);
    var run = await ReadAsync(await http.GetAsync($"api/runs/{Uri.EscapeDataString(arguments.Positional[0])}"));
    new RunPrinter(Console.Out).PrintTimeline(run);
    return 0;
}

static async Task<int> ListAsync(Arguments arguments)
{
    using var http = Client(arguments);
    var query = new List<string>();
    if (arguments.Get("workflow") is { } workflow)
    {
        query.Add("workflowId=" + Uri.EscapeDataString(workflow));
    }

    if (arguments.Get("status") is { } status)
    {
        query.Add("status=" + Uri.EscapeDataString(status));
    }

    var page = await ReadAsync(await http.GetAsync("api/runs" + (query.Count > 0 ? "?" + string.Join('&', query) : "")));
    foreach (var run in page.GetProperty("runs").EnumerateArray())
    {
        Console.WriteLine($"{run.GetProperty("id").GetString(),-40} {run.GetProperty("workflowId").GetString(),-32} {run.GetProperty("status").GetString(),-10} {run.GetProperty("createdAt").GetDateTimeOffset():u}");
    }

    return 0;
}
