using Cronflow.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Http;

/// <summary>The API's answer when the backend fails or does not answer (the Azurite outage test runs the real thing).</summary>
public sealed class BackendOutageTests(HttpApiFixture fixture) : IClassFixture<HttpApiFixture>
{
    private CronflowHttpApi Api(ICronflowClient client, TimeSpan? timeout = null) => new(
        client,
        fixture.Host.Services.GetRequiredService<WorkflowRegistry>(),
        fixture.Host.Services.GetRequiredService<CronflowOptions>(),
        TimeProvider.System)
    {
        BackendTimeout = timeout ?? TimeSpan.FromSeconds(10),
    };

    private static ApiRequest Get(string path) => new() { Method = "GET", Path = path, IsManagementAuthorized = true };

    [Fact]
    public async Task HandleAsync_StorageRefusesConnections_Returns503BackendUnavailableWithRetryAfter()
    {
        var refused = new HttpRequestException("Connection refused (127.0.0.1:10002)", new System.Net.Sockets.SocketException(111));
        var api = Api(new FailingClient(() => Task.FromException<RunInfo?>(new AggregateException("Retry failed after 4 tries.", refused))));

        var response = await api.HandleAsync(Get("/runs/abc"));

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("backend_unavailable", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("5", response.Headers["Retry-After"]);
    }

    [Fact]
    public async Task HandleAsync_BackendNeverAnswers_Returns503WhenTheBoundPasses()
    {
        var never = new TaskCompletionSource<RunInfo?>();
        var api = Api(new FailingClient(() => never.Task), TimeSpan.FromMilliseconds(200));

        var response = await api.HandleAsync(Get("/runs/abc"));

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("backend_unavailable", HttpApiFixture.Json(response).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("The backend did not answer within 0.2 seconds. Try again later.", HttpApiFixture.Json(response).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task HandleAsync_CallerAbortsWhileBackendHangs_EndsTheWaitWithCancellation()
    {
        var never = new TaskCompletionSource<RunInfo?>();
        var api = Api(new FailingClient(() => never.Task));
        using var abort = new CancellationTokenSource();

        var handling = api.HandleAsync(Get("/runs/abc"), abort.Token);
        await abort.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handling);
    }

    [Fact]
    public async Task HandleAsync_UnexpectedBug_StillAnswers500()
    {
        var api = Api(new FailingClient(() => Task.FromException<RunInfo?>(new InvalidOperationException("a bug"))));

        var response = await api.HandleAsync(Get("/runs/abc"));

        Assert.Equal(500, response.StatusCode);
    }

    /// <summary>A client whose GetRunAsync behaves as given; nothing else is called by these tests.</summary>
    private sealed class FailingClient(Func<Task<RunInfo?>> getRun) : UnsupportedCronflowClient
    {
        public override Task<RunInfo?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => getRun();
    }
}
