using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>The Cronflow HTTP API as the tests use it.</summary>
internal sealed class CronflowApi : IDisposable
{
    private readonly HttpClient _http;

    public CronflowApi(Uri baseAddress, int maxConnections = 16)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public HttpClient Http => _http;

    /// <summary>Starts a run of <paramref name="workflowId"/>; returns its id.</summary>
    public async Task<string> TriggerAsync(string workflowId, object payload)
    {
        using var response = await _http.PostAsync($"/api/workflows/{workflowId}/runs", Json(payload));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
    }

    /// <summary>Every run (all pages), without step outputs.</summary>
    public async Task<List<JsonElement>> ListRunsAsync(string? workflowId = null)
    {
        var runs = new List<JsonElement>();
        string? continuation = null;
        do
        {
            var url = "/api/runs?pageSize=1000"
                + (workflowId is null ? "" : "&workflowId=" + Uri.EscapeDataString(workflowId))
                + (continuation is null ? "" : "&continuationToken=" + Uri.EscapeDataString(continuation));
            var page = await _http.GetFromJsonAsync<JsonElement>(url);
            runs.AddRange(page.GetProperty("runs").EnumerateArray());
            continuation = page.TryGetProperty("continuationToken", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        }
        while (continuation is not null);

        return runs;
    }

    /// <summary>One run with its steps and outputs.</summary>
    public Task<JsonElement> GetRunAsync(string runId) => _http.GetFromJsonAsync<JsonElement>("/api/runs/" + Uri.EscapeDataString(runId));

    public void Dispose() => _http.Dispose();

    public static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    /// <summary>The run's status as reported by the API.</summary>
    public static string Status(JsonElement run) => run.GetProperty("status").GetString()!;

    /// <summary>How many of the run's steps have completed.</summary>
    public static int CompletedSteps(JsonElement run) =>
        run.TryGetProperty("steps", out var steps) ? steps.EnumerateArray().Count(s => s.GetProperty("status").GetString() == "Completed") : 0;
}
