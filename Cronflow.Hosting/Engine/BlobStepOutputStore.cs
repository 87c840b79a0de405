using System.Text.Json;
using System.Threading.Channels;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Cronflow;

/// <summary>
/// The output store of hosts on Azure Storage: one blob per stored output, in a container next to the task hub's
/// (<c>&lt;taskhub&gt;-stepoutputs</c>), so that every host on the task hub reads what any of them wrote. Reads go
/// through a cache bounded in bytes (keys are written once, so a cached output is never stale). An instance's
/// outputs are deleted in the background once it ends.
/// </summary>
/// <remarks>Compiled into both the embedded host and the Functions library, which share no assembly but the core.</remarks>
internal sealed class BlobStepOutputStore : IStepOutputStore, IDisposable
{
    /// <summary>The default bound of the read cache, in bytes.</summary>
    public const long DefaultCacheBytes = 64L * 1024 * 1024;

    private readonly BlobContainerClient _container;
    private readonly StepOutputReadCache _cache;
    private readonly ILogger _logger;
    private readonly Lazy<Task> _created;
    private readonly Channel<string> _ended = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public BlobStepOutputStore(BlobContainerClient container, long cacheBytes, ILogger logger)
    {
        _container = container;
        _cache = new StepOutputReadCache(cacheBytes);
        _logger = logger;
        _created = new Lazy<Task>(() => _container.CreateIfNotExistsAsync());
        _ = Task.Run(DeleteEndedAsync);
    }

    /// <summary>The container for a task hub (container names are lower case).</summary>
    public static string ContainerName(string taskHub) => taskHub.ToLowerInvariant() + "-stepoutputs";

    /// <summary>
    /// A store in <paramref name="connectionString"/>'s account, or null without one (every output then travels inline).
    /// </summary>
    public static BlobStepOutputStore? Create(string? connectionString, string container, ILoggerFactory loggers) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? null
            : new BlobStepOutputStore(new BlobContainerClient(connectionString, container), DefaultCacheBytes, loggers.CreateLogger<BlobStepOutputStore>());

    public async Task<string> PutAsync(string runId, string instanceId, JsonElement output, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        var key = StepOutputKeys.New(runId, instanceId);
        var bytes = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(output).ToArray();
        await _container.GetBlobClient(key).UploadAsync(new BinaryData(bytes), overwrite: false, cancellationToken).ConfigureAwait(false);
        _cache.Add(key, bytes);
        return key;
    }

    public JsonElement Get(string key)
    {
        if (!_cache.TryGet(key, out var bytes))
        {
            try
            {
                bytes = _container.GetBlobClient(key).DownloadContent().Value.Content.ToArray();
            }
            catch (RequestFailedException ex)
            {
                throw new StepOutputUnavailableException(key, $"the output store answered {ex.Status} ({ex.ErrorCode})", ex);
            }
            catch (AggregateException ex)
            {
                throw new StepOutputUnavailableException(key, "the output store could not be reached", ex);
            }

            _cache.Add(key, bytes);
        }

        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.Clone();
    }

    /// <summary>Queues the instance's outputs for deletion: the orchestration that ends does no I/O.</summary>
    public void InstanceEnded(string runId, string instanceId) => _ended.Writer.TryWrite(StepOutputKeys.Prefix(runId, instanceId));

    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken) => DeletePrefixAsync(StepOutputKeys.RunPrefix(runId), cancellationToken);

    /// <summary>Stops the background deletion once the instances already queued are done.</summary>
    public void Dispose() => _ended.Writer.TryComplete();

    private async Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        await foreach (var blob in _container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
        {
            _cache.Remove(blob.Name);
            await _container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DeleteEndedAsync()
    {
        await foreach (var prefix in _ended.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await DeletePrefixAsync(prefix, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RequestFailedException or AggregateException or IOException)
            {
                _logger.LogWarning(ex, "Could not delete the stored step outputs under {Prefix}.", prefix);
            }
        }
    }
}
