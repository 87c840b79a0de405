namespace Cronflow.Functions.App;

/// <summary>The body of the demo webhook at <c>POST /api/webhooks/orders</c>.</summary>
/// <param name="OrderId">The order id (required).</param>
/// <param name="Amount">The order amount.</param>
/// <param name="Customer">Who ordered (optional).</param>
public sealed record OrderWebhook(string OrderId, decimal Amount, string? Customer);

/// <summary>
/// Small workflows that exercise the app's webhook and timer triggers (the samples use manual triggers only).
/// </summary>
internal static class AppWorkflows
{
    /// <summary>The app setting holding the order webhook's signing secret.</summary>
    public const string OrdersWebhookSecretSetting = "CronflowOrdersWebhookSecret";

    /// <summary>The shortest secret the app accepts for a webhook.</summary>
    public const int MinSecretLength = 16;

    /// <summary>An order webhook (schema-checked, signed with <paramref name="secret"/>) that classifies the order.</summary>
    public static IWorkflowBuilder OrderWebhook(string secret) =>
        Workflow.Define("order-webhook", o => o.Description = "Receives signed orders at POST /api/webhooks/orders.")
            .OnWebhook("/webhooks/orders", w =>
            {
                w.Schema<OrderWebhook>();
                w.Secret = secret;
            })
            .Step("classify", ctx =>
            {
                var order = ctx.Payload.As<OrderWebhook>();
                return new { order.OrderId, tier = order.Amount > 500 ? "high" : order.Amount > 100 ? "medium" : "basic" };
            });

    /// <summary>A heartbeat every five minutes that records when it was scheduled for.</summary>
    public static IWorkflowBuilder Heartbeat =>
        Workflow.Define("heartbeat", o => o.Description = "Runs every five minutes (UTC).")
            .OnSchedule("*/5 * * * *")
            .Step("beat", ctx => new { scheduledFor = ctx.Payload["scheduledFor"].As<string>() });

    /// <summary>Both demo workflows; every webhook that can start work is signed with a secret from the app settings.</summary>
    public static IReadOnlyList<IWorkflowBuilder> All(string ordersWebhookSecret) => [OrderWebhook(ordersWebhookSecret), Heartbeat];
}
