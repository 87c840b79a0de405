namespace Cronflow.Functions;

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
    /// <summary>An order webhook (schema-checked) that classifies the order.</summary>
    public static IWorkflowBuilder OrderWebhook =>
        Workflow.Define("order-webhook", o => o.Description = "Receives orders at POST /api/webhooks/orders.")
            .OnWebhook("/webhooks/orders", w => w.Schema<OrderWebhook>())
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

    /// <summary>Both demo workflows.</summary>
    public static IReadOnlyList<IWorkflowBuilder> All => [OrderWebhook, Heartbeat];
}
