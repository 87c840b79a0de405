using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Cronflow.Samples;

namespace Cronflow.Local;

/// <summary>What <c>cronflow serve</c> needs: where to listen, which backend, and the API key.</summary>
internal sealed record ServeSettings(string Url, bool InMemory, string Connection, string TaskHub, string? ApiKey, bool OtelConsole);

/// <summary><c>cronflow serve</c>: the local host with the sample workflows, until Ctrl+C or TERM.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(ServeSettings settings)
    {
        var (url, inMemory, connection, taskHub, apiKey) = (settings.Url, settings.InMemory, settings.Connection, settings.TaskHub, settings.ApiKey);
        if (!inMemory && connection.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase) && !await AzuriteIsUpAsync())
        {
            Console.Error.WriteLine("cronflow: Azurite is not listening on 127.0.0.1:10000-10002. Start it with `bash scripts/azurite.sh start`, or run with --in-memory.");
            return 1;
        }

        using var telemetry = Telemetry.Start(settings.OtelConsole);
        Console.WriteLine($"Starting Cronflow ({(inMemory ? "in memory" : $"Azure Storage: task hub '{taskHub}'")})...");

        // The generic host owns the process: Ctrl+C and TERM (once or again) stop it, within its shutdown timeout.
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders()
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System", LogLevel.Warning)
            .AddFilter("DurableTask", LogLevel.Error);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSampleServices().AddDurableSampleServices();
        builder.Services.AddCronflowHost(
            c =>
            {
                foreach (var workflow in SampleWorkflows.All.Concat(DurableSamples.All))
                {
                    c.AddWorkflow(workflow);
                }
            },
            o =>
            {
                o.ListenOn(url);
                o.ApiKey = apiKey;
                if (!inMemory)
                {
                    o.UseAzureStorage(connection, taskHub);
                }
            });

        using var host = builder.Build();
        await host.StartAsync();
        var bound = host.Services.GetRequiredService<CronflowListener>().Urls is [var first, ..] ? first : url;
        var inbox = host.Services.GetRequiredService<ApprovalInbox>();
        inbox.Requested += (subject, token) =>
            Console.WriteLine($"Approval needed for {subject}. Approve with:{Environment.NewLine}  curl -X POST {bound}/api/resume/{token} -H 'content-type: application/json' -d '{{\"approved\":true,\"approvedBy\":\"you\"}}'");

        PrintBanner(bound, durable: !inMemory);
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => Console.WriteLine("Stopping..."));
        await host.WaitForShutdownAsync();
        return 0;
    }

    private static void PrintBanner(string url, bool durable)
    {
        var json = "-H 'content-type: application/json'";
        Console.WriteLine($"""

            Cronflow is serving {SampleWorkflows.All.Count + DurableSamples.All.Count} sample workflows at {url}/api ({(durable ? "durable: runs survive restarts" : "in memory")}).
            Open the run inspector at {url}/dashboard (runs, timelines, workflow diagrams; resume, cancel, replay).

            Try:
              curl -X POST {url}/api/workflows/{SampleWorkflowIds.DataFetching}/runs {json} -d '{JsonSerializer.Serialize(SamplePayloads.For(SampleWorkflowIds.DataFetching), CronflowJson.Options)}'
              curl -X POST {url}/api/webhooks/orders {json} -d '{"{"}"orderId":"A-1","amount":25,"customer":"ada"{"}"}'
              curl -X POST {url}/api/workflows/{DurableSampleIds.RefundApproval}/runs {json} -d '{"{"}"refundId":"r-1","amount":40,"reason":"damaged"{"}"}'
              curl -X POST {url}/api/events/order.created {json} -d '{"{"}"orderId":"A-2"{"}"}'
              curl {url}/api/runs
            or follow a run step by step:
              dotnet run --project samples/Cronflow.Local -- trigger {SampleWorkflowIds.BatchProcessing} --follow

            Press Ctrl+C to stop.
            """);
    }

    private static async Task<bool> AzuriteIsUpAsync()
    {
        foreach (var port in new[] { 10000, 10001, 10002 })
        {
            using var socket = new TcpClient();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.ConnectAsync("127.0.0.1", port, timeout.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }
}
