using System.Text;
using System.Text.Json;
using Cronflow.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Http;

public sealed record OrderRequest(string OrderId, int Quantity, Customer Customer, string? Note);

public sealed record Customer(string Email);

/// <summary>One in-memory engine and one API over its client, shared by the HTTP API tests.</summary>
public sealed class HttpApiFixture : IAsyncLifetime
{
    public const string Secret = "webhook-secret";

    public const string ApiKeyValue = "key-123";

    public CronflowHost Host { get; private set; } = null!;

    public ICronflowClient Client => Host.Client;

    internal CronflowHttpApi Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await CronflowHost.StartAsync(c =>
        {
            c.AddWorkflow(Workflow.Define("echo").Step("echo", ctx => ctx.Payload));
            c.AddWorkflow(Workflow.Define("blocked").Step("wait", async ctx =>
            {
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return "never";
            }));
            c.AddWorkflow(Workflow.Define("orders")
                .OnWebhook("/webhooks/orders", w =>
                {
                    w.Schema<OrderRequest>();
                    w.RequireHeader("x-api-key", ApiKeyValue);
                    w.Secret = Secret;
                })
                .Step("accept", ctx => new { orderId = ctx.Payload["orderId"].As<string>(), kind = ctx.Trigger.Kind.ToString() }));
            c.AddWorkflow(Workflow.Define("plain")
                .OnWebhook("/hooks/plain", w => w.MaxBodyBytes = 64)
                .OnWebhook("/hooks/plain", w => w.Method = "PUT")
                .Step("echo", ctx => ctx.Payload));
            c.AddWorkflow(Workflow.Define("on-created").OnEvent("order.created").Step("seen", ctx => ctx.Payload["id"].As<string>()));
            c.Configure(o =>
            {
                o.MaxPayloadBytes = 1024;
                o.MaxEventBytes = 512;
            });
        });
        Api = CreateApi(Client);
    }

    internal CronflowHttpApi CreateApi(ICronflowClient client) => new(
        client,
        Host.Services.GetRequiredService<WorkflowRegistry>(),
        Host.Services.GetRequiredService<CronflowOptions>(),
        TimeProvider.System);

    public async Task DisposeAsync() => await Host.DisposeAsync();

    internal Task<ApiResponse> SendAsync(string method, string path, string? body = null, IReadOnlyDictionary<string, string>? headers = null, bool authorized = true, string? query = null) =>
        Api.HandleAsync(new ApiRequest
        {
            Method = method,
            Path = path,
            Query = ApiRequest.ParseQuery(query),
            Headers = WithJsonContentType(headers, body),
            Body = body is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(body),
            IsManagementAuthorized = authorized,
        });

    /// <summary>The headers as given, with <c>Content-Type: application/json</c> added to a body that declares no type.</summary>
    internal static Dictionary<string, string> WithJsonContentType(IReadOnlyDictionary<string, string>? headers, string? body)
    {
        var result = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(body))
        {
            result.TryAdd("Content-Type", "application/json");
        }

        return result;
    }

    /// <summary>Headers of a valid delivery to /webhooks/orders for <paramref name="body"/>.</summary>
    public static Dictionary<string, string> OrderHeaders(string body, string? idempotencyKey = null)
    {
        var headers = new Dictionary<string, string>
        {
            ["X-Api-Key"] = ApiKeyValue,
            ["X-Cronflow-Signature"] = "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body))),
            ["X-Delivery"] = "d-1",
        };
        if (idempotencyKey is not null)
        {
            headers["Idempotency-Key"] = idempotencyKey;
        }

        return headers;
    }

    internal static JsonElement Json(ApiResponse response) => JsonDocument.Parse(response.Body).RootElement.Clone();
}
