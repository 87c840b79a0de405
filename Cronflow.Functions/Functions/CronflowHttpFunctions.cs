using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace Cronflow.Functions;

/// <summary>
/// The management API under <c>/api</c>: one function per route, each protected by Functions keys
/// (<see cref="AuthorizationLevel.Function"/>), except the health probe. Every function hands the request to the
/// shared <see cref="Http.CronflowHttpApi"/>, which does the routing, validation and JSON.
/// </summary>
public sealed class CronflowHttpFunctions(CronflowFunctionsRuntime runtime)
{
    /// <summary>POST /api/workflows/{workflowId}/runs — starts a run (optional <c>?runId=</c>).</summary>
    [Function("CronflowTriggerRun")]
    public Task<HttpResponseData> TriggerRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "workflows/{workflowId}/runs")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>GET /api/runs — lists runs (<c>workflowId</c>, <c>status</c>, <c>pageSize</c>, <c>continuationToken</c>).</summary>
    [Function("CronflowListRuns")]
    public Task<HttpResponseData> ListRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>GET /api/runs/{runId} — a run with its per-step records.</summary>
    [Function("CronflowGetRun")]
    public Task<HttpResponseData> GetRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>DELETE /api/runs/{runId} — purges an ended run with its sub-orchestrations and stored outputs (204; 409 while it runs).</summary>
    [Function("CronflowPurgeRun")]
    public Task<HttpResponseData> PurgeRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "runs/{runId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>POST /api/runs/{runId}/events/{eventName} — delivers an event to a run.</summary>
    [Function("CronflowRaiseEvent")]
    public Task<HttpResponseData> RaiseEventAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{runId}/events/{eventName}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>POST /api/runs/{runId}/cancel — cancels a run (optional <c>{ "reason": "…" }</c>).</summary>
    [Function("CronflowCancelRun")]
    public Task<HttpResponseData> CancelRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{runId}/cancel")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>POST /api/runs/{runId}/replay — starts a new run with the original payload.</summary>
    [Function("CronflowReplayRun")]
    public Task<HttpResponseData> ReplayRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{runId}/replay")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>POST /api/resume/{token} — resumes a run paused in a human-in-the-loop step.</summary>
    [Function("CronflowResume")]
    public Task<HttpResponseData> ResumeAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "resume/{token}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>POST /api/events/{eventName} — starts every workflow registered for the event.</summary>
    [Function("CronflowPublishEvent")]
    public Task<HttpResponseData> PublishEventAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "events/{eventName}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>GET /api/health — anonymous, for load balancers and uptime probes; reveals only the workflow count.</summary>
    [Function("CronflowHealth")]
    public Task<HttpResponseData> HealthAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequestData request,
        [DurableClient] DurableTaskClient client) => HandleAsync(request, client);

    /// <summary>
    /// GET/POST /api/dashboard/… — the run inspector. Anonymous at the Functions level: browsers cannot send function
    /// keys, so the dashboard signs them in with the <c>CronflowDashboardKey</c> app setting (without it, it answers
    /// loopback host names only), and checks an anti-forgery token on every form post.
    /// </summary>
    [Function("CronflowDashboard")]
    public async Task<HttpResponseData> DashboardAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "dashboard/{*path}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        await runtime.EnsureGatesAsync(client).ConfigureAwait(false);
        return await FunctionsHttp.HandleDashboardAsync(runtime.CreateDashboard(client), request).ConfigureAwait(false);
    }

    private async Task<HttpResponseData> HandleAsync(HttpRequestData request, DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        await runtime.EnsureGatesAsync(client).ConfigureAwait(false);
        return await FunctionsHttp.HandleAsync(runtime.CreateApi(client), request, management: true).ConfigureAwait(false);
    }
}
