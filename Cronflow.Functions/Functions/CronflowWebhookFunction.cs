using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace Cronflow.Functions;

/// <summary>
/// Every webhook registered with <c>OnWebhook(path)</c>, served at <c>/api</c> + path. Anonymous at the Functions
/// level: each webhook protects itself with its required headers and HMAC signature. The route matches any path whose
/// first segment is not a management one, so it never competes with the management functions, whatever order the
/// host tries routes in.
/// </summary>
public sealed class CronflowWebhookFunction(CronflowFunctionsRuntime runtime)
{
    /// <summary>The function name.</summary>
    public const string Name = "CronflowWebhook";

    /// <summary>
    /// Any path below /api whose first segment is not workflows, runs, resume, events, health or dashboard (route constraints
    /// ignore case, like the reserved-segment check of webhook definitions).
    /// </summary>
    public const string Route = "{segment:regex(^(?!(workflows|runs|resume|events|health|dashboard)$).+$)}/{*rest}";

    /// <summary>Routes the delivery by path and method, checks headers, signature and schema, and answers 202 with the run id.</summary>
    [Function(Name)]
    public async Task<HttpResponseData> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = Route)] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        await runtime.EnsureGatesAsync(client).ConfigureAwait(false);
        return await FunctionsHttp.HandleAsync(runtime.CreateApi(client), request, management: false).ConfigureAwait(false);
    }
}
