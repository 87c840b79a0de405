using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cronflow;
using Cronflow.Samples;

// Runs every sample workflow (or one, with --only <workflow-id>) on an embedded host and prints each run.
// In memory by default; --azure-storage <connection-string> runs on Azure Storage ("UseDevelopmentStorage=true" for Azurite).

const string Usage = "Usage: Cronflow.Samples.App [--only <workflow-id>] [--azure-storage <connection-string>]";
string? only = null;
string? storage = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] is "--only" && i + 1 < args.Length)
    {
        only = args[++i];
    }
    else if (args[i] is "--azure-storage" && i + 1 < args.Length)
    {
        storage = args[++i];
    }
    else if (args[i] is "-h" or "--help")
    {
        Console.WriteLine(Usage);
        Console.WriteLine($"Samples: {string.Join(", ", SamplePayloads.All.Keys)}");
        return 0;
    }
    else
    {
        Console.Error.WriteLine($"Unknown argument '{args[i]}'. {Usage}");
        return 2;
    }
}

var samples = SampleWorkflows.All.Where(wf => only is null || wf.Id == only).ToList();
if (samples.Count == 0)
{
    Console.Error.WriteLine($"No sample workflow has id '{only}'. Samples: {string.Join(", ", SamplePayloads.All.Keys)}");
    return 2;
}

await using var host = await CronflowHost.StartAsync(c =>
{
    foreach (var wf in SampleWorkflows.All)
    {
        c.AddWorkflow(wf);
    }

    c.Services.AddSampleServices();
},
o =>
{
    if (storage is not null)
    {
        o.UseAzureStorage(storage, taskHub: "cronflowsamples");
    }
});

Console.WriteLine(host.IsDurable ? "Engine: Azure Storage (task hub 'cronflowsamples')" : "Engine: in memory");

var completed = 0;
foreach (var wf in samples)
{
    var runId = await host.Client.TriggerAsync(wf.Id, SamplePayloads.For(wf.Id));
    RunInfo run;
    try
    {
        run = await host.Client.WaitForRunAsync(runId, TimeSpan.FromMinutes(1));
    }
    catch (RunWaitTimeoutException ex)
    {
        Console.WriteLine($"{wf.Id}: run {runId} did not finish: {ex.Message}");
        continue;
    }

    Report.Print(run);
    if (run.Status == RunStatus.Completed)
    {
        completed++;
    }
}

Console.WriteLine(completed == samples.Count
    ? (samples.Count == 1 ? "The run completed." : $"All {samples.Count} runs completed.")
    : $"{completed} of {samples.Count} runs completed.");
return completed == samples.Count ? 0 : 1;

/// <summary>Prints runs as plain text.</summary>
internal static class Report
{
    private const int MaxOutputChars = 300;

    // Prints quotes and apostrophes as they are rather than as \u0022 escapes.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Print(RunInfo run)
    {
        Console.WriteLine(new string('=', 100));
        Console.WriteLine($"{run.WorkflowId}  [{run.Status}]  run {run.Id}");
        var nameWidth = Math.Max(4, run.Steps.Count == 0 ? 4 : run.Steps.Max(s => s.Name.Length));
        Console.WriteLine($"  {"step".PadRight(nameWidth)}  {"kind",-9} {"status",-10} {"tries",5} {"duration",10}  detail");
        foreach (var step in run.Steps)
        {
            var detail = step.Error is { } error
                ? Join(step.Detail, $"error: {error.Message}{(step.Status == StepStatus.Completed ? " (handled by OnError)" : "")}")
                : step.Detail ?? "";
            Console.WriteLine(
                $"  {step.Name.PadRight(nameWidth)}  {step.Kind,-9} {step.Status,-10} {step.Attempts,5} {Duration(step),10}  {detail}");
        }

        if (run.Status == RunStatus.Completed)
        {
            Console.WriteLine($"  output: {Truncate(JsonSerializer.Serialize(run.Output.Json, Readable))}");
        }
        else if (run.Error is { } failure)
        {
            Console.WriteLine($"  error: {failure}");
        }
    }

    private static string Duration(StepRecord step) =>
        step.StartedAt is { } start && step.CompletedAt is { } end
            ? $"{(end - start).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms"
            : "-";

    private static string Join(string? first, string second) => string.IsNullOrEmpty(first) ? second : $"{first}; {second}";

    private static string Truncate(string text) => text.Length <= MaxOutputChars ? text : text[..(MaxOutputChars - 3)] + "...";
}
