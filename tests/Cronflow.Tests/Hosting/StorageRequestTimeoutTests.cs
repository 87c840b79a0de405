using System.Net;
using System.Net.Sockets;
using Cronflow.Hosting;
using Cronflow.Http;

namespace Cronflow.Tests.Hosting;

/// <summary>
/// The Azure Storage backend's clients give up on a request that gets no answer after
/// <see cref="AzureStorageBackendOptions.StorageRequestTimeout"/> instead of the SDK's 100 s: checked against a listener
/// that accepts connections and never answers.
/// </summary>
public sealed class StorageRequestTimeoutTests : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(300);

    // Far below the SDK's own 100-s timeout per try, far above what the configured tries take.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();

    public StorageRequestTimeoutTests()
    {
        _silent.Start();
        _ = AcceptForeverAsync();
    }

    [Fact]
    public async Task ClientProvider_RequestsUnanswered_EveryServiceGivesUpWithNetworkTimeout()
    {
        var provider = Provider();
        var queue = provider.Queue.CreateClient(provider.Queue.CreateOptions()).GetQueueClient("work");
        var table = provider.Table.CreateClient(provider.Table.CreateOptions()).GetTableClient("History");
        var container = provider.Blob.CreateClient(provider.Blob.CreateOptions()).GetBlobContainerClient("leases");

        // The three at once: each gives up only after its client's retries, with their back-off delays.
        await Task.WhenAll(
            AssertGivesUpAsync(() => queue.ExistsAsync()),
            AssertGivesUpAsync(() => table.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("p", "r")),
            AssertGivesUpAsync(() => container.ExistsAsync()));
    }

    [Fact]
    public void Validate_StorageRequestTimeoutNotPositive_Throws()
    {
        var options = new CronflowHostOptions().UseAzureStorage("UseDevelopmentStorage=true", configure: azure => azure.StorageRequestTimeout = TimeSpan.Zero);

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(AzureStorageBackendOptions.StorageRequestTimeout), error.ParamName);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _silent.Stop();
        lock (_accepted)
        {
            _accepted.ForEach(s => s.Dispose());
        }

        _stop.Dispose();
    }

    private static async Task AssertGivesUpAsync(Func<Task> request)
    {
        // Without the configured timeout the request would still be waiting when Patience runs out (TimeoutException).
        var error = await Record.ExceptionAsync(() => request().WaitAsync(Patience));

        Assert.NotNull(error);
        Assert.IsNotType<TimeoutException>(error);
        Assert.Contains("NetworkTimeout", Describe(error), StringComparison.Ordinal);

        // The HTTP API answers such a failure with 503 backend_unavailable, as for a storage service that is down.
        Assert.True(BackendErrors.IsUnavailable(error), Describe(error));
    }

    private static string Describe(Exception error) =>
        error is AggregateException all
            ? string.Join(" | ", all.InnerExceptions.Select(Describe))
            : error.Message + (error.InnerException is { } inner ? " | " + Describe(inner) : "");

    private DurableTask.AzureStorage.StorageAccountClientProvider Provider()
    {
        var port = ((IPEndPoint)_silent.LocalEndpoint).Port;
        var endpoint = $"http://127.0.0.1:{port}/devstoreaccount1";
        return Backend.ClientProvider(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint={endpoint};QueueEndpoint={endpoint};TableEndpoint={endpoint};",
            RequestTimeout);
    }

    private async Task AcceptForeverAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _silent.AcceptSocketAsync(_stop.Token);
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
