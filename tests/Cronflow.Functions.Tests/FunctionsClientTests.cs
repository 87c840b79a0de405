using Microsoft.DurableTask.Client;
using Moq;

namespace Cronflow.Functions.Tests;

public sealed class FunctionsClientTests : IAsyncDisposable
{
    private readonly FunctionsTestHost _host = new();

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task GetRunAsync_TokenCancelled_CancelsTheDurableClientCall()
    {
        CancellationToken seen = default;
        _host.Client.Setup(c => c.GetInstanceAsync("r-1", true, It.IsAny<CancellationToken>()))
            .Returns(async (string _, bool _, CancellationToken token) =>
            {
                seen = token;
                await Task.Delay(Timeout.Infinite, token);
                return (OrchestrationMetadata?)null;
            });
        var client = _host.Runtime.CreateClient(_host.Client.Object);
        using var cancel = new CancellationTokenSource();

        var get = client.GetRunAsync("r-1", cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get);
        Assert.True(seen.IsCancellationRequested);
    }
}
