using System.Globalization;
using Cronflow;
using Cronflow.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A Cronflow host on the Azure Storage backend, serving the HTTP API, for tests that start, load and kill it.
//
//   dotnet Cronflow.TestHost.dll --connection UseDevelopmentStorage=true --task-hub t0123456789ab --url http://127.0.0.1:0
//       [--max-activities N] [--visibility-timeout SEC] [--lease-interval SEC] [--lease-acquire-interval SEC]
//       [--log-level Warning]
//
// Prints "READY <bound url>" on stdout once the host serves, "STEP <run id> <step>" each time a chain step's body
// finishes, and stops cleanly on SIGTERM or Ctrl+C.

var arguments = Arguments.Parse(args);
if (arguments is null)
{
    await Console.Error.WriteLineAsync(
        "usage: Cronflow.TestHost --connection <storage connection string> --task-hub <name> --url <http://127.0.0.1:port>"
        + " [--max-activities N] [--visibility-timeout SEC] [--lease-interval SEC] [--lease-acquire-interval SEC] [--log-level LEVEL]");
    return 2;
}

TestWorkflows.StepFinished = (runId, step) => Console.Out.WriteLine($"STEP {runId} {step}");

// The generic host owns the process's lifetime: Ctrl+C and SIGTERM stop it (a repeated signal too), and its shutdown
// timeout bounds how long the engine gets to stop.
var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders()
    .SetMinimumLevel(arguments.LogLevel)
    .AddSimpleConsole(console => console.SingleLine = true)
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
builder.Services.AddCronflowHost(
    c => c.AddTestWorkflows(),
    o =>
    {
        o.UseAzureStorage(arguments.Connection, arguments.TaskHub, azure =>
        {
            if (arguments.VisibilityTimeout is { } visibility)
            {
                azure.VisibilityTimeout = visibility;
            }

            if (arguments.LeaseInterval is { } lease)
            {
                azure.LeaseInterval = lease;
            }

            if (arguments.LeaseAcquireInterval is { } acquire)
            {
                azure.LeaseAcquireInterval = acquire;
            }
        });
        o.ListenOn(arguments.Url);
        if (arguments.MaxActivities is { } max)
        {
            o.MaxConcurrentActivities = max;
        }
    });
builder.Services.AddHostedService<ReadyLine>();

using var host = builder.Build();
await host.RunAsync();
Console.Out.WriteLine("STOPPED");
return 0;

/// <summary>The command line of the test host.</summary>
internal sealed record Arguments(
    string Connection,
    string TaskHub,
    string Url,
    int? MaxActivities,
    TimeSpan? VisibilityTimeout,
    TimeSpan? LeaseInterval,
    TimeSpan? LeaseAcquireInterval,
    LogLevel LogLevel)
{
    public static Arguments? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                return null;
            }

            values[args[i][2..]] = args[++i];
        }

        if (!values.TryGetValue("connection", out var connection) || !values.TryGetValue("task-hub", out var taskHub) || !values.TryGetValue("url", out var url))
        {
            return null;
        }

        int? maxActivities = values.TryGetValue("max-activities", out var max) ? int.Parse(max, CultureInfo.InvariantCulture) : null;
        var logLevel = values.TryGetValue("log-level", out var level) ? Enum.Parse<LogLevel>(level, ignoreCase: true) : LogLevel.Warning;
        return new Arguments(
            connection,
            taskHub,
            url,
            maxActivities,
            Seconds(values, "visibility-timeout"),
            Seconds(values, "lease-interval"),
            Seconds(values, "lease-acquire-interval"),
            logLevel);
    }

    private static TimeSpan? Seconds(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var seconds) ? TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture)) : null;
}

/// <summary>Prints <c>READY &lt;bound url&gt;</c> once the host serves (the engine and the listener started before it).</summary>
internal sealed class ReadyLine(CronflowListener listener) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Console.Out.WriteLine("READY " + listener.Urls[0]);
        Console.Out.Flush();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
