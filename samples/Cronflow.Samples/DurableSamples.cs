using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Cronflow.Samples;

/// <summary>Ids of the durable samples (webhooks, approvals, events, schedules).</summary>
public static class DurableSampleIds
{
    /// <summary>Orders arriving by webhook, charged through a subflow.</summary>
    public const string OrderIntake = "sample-order-intake";

    /// <summary>The payment subflow.</summary>
    public const string Payment = "sample-payment";

    /// <summary>A refund that waits for a person's approval.</summary>
    public const string RefundApproval = "sample-refund-approval";

    /// <summary>A payment that waits for the settlement event.</summary>
    public const string Settlement = "sample-payment-settlement";

    /// <summary>Started by the <c>order.created</c> event.</summary>
    public const string OrderCreated = "sample-order-created";

    /// <summary>A report built every five minutes.</summary>
    public const string PeriodicReport = "sample-periodic-report";
}

/// <summary>An order delivered to the intake webhook.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="Amount">Its amount.</param>
/// <param name="Customer">Who ordered.</param>
public sealed record OrderIntakeRequest(string OrderId, decimal Amount, string Customer);

/// <summary>A refund request.</summary>
/// <param name="RefundId">The refund.</param>
/// <param name="Amount">How much.</param>
/// <param name="Reason">Why.</param>
public sealed record RefundRequest(string RefundId, decimal Amount, string Reason);

/// <summary>Where approval requests go. The local app prints them with a ready-to-run <c>curl</c> line.</summary>
public sealed class ApprovalInbox
{
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly ILogger<ApprovalInbox> _logger;

    /// <summary>Creates the inbox.</summary>
    public ApprovalInbox(ILogger<ApprovalInbox> logger) => _logger = logger;

    /// <summary>Raised for every new request: subject, resume token.</summary>
    public event Action<string, string>? Requested;

    /// <summary>The resume token of the pending request about <paramref name="subject"/>, if any.</summary>
    public string? TokenFor(string subject) => _tokens.GetValueOrDefault(subject);

    /// <summary>Records a request for a decision.</summary>
    public void Request(string subject, string token)
    {
        _tokens[subject] = token;
        _logger.LogInformation("Approval requested for {Subject}", subject);
        Requested?.Invoke(subject, token);
    }
}

/// <summary>The durable samples: webhooks, a subflow, a human approval, an event wait, an event trigger and a schedule.</summary>
public static class DurableSamples
{
    /// <summary>The webhook path of <see cref="OrderIntake"/> (served at <c>/api/webhooks/orders</c>).</summary>
    public const string OrderWebhookPath = "/webhooks/orders";

    /// <summary>Every durable sample, freshly built.</summary>
    public static IReadOnlyList<IWorkflowBuilder> All => [OrderIntake, Payment, RefundApproval, Settlement, OrderCreated, PeriodicReport];

    /// <summary>Registers what the durable samples need (the approval inbox), besides <see cref="SampleServiceCollectionExtensions.AddSampleServices(IServiceCollection, Action{SampleLatency}?)"/>.</summary>
    public static IServiceCollection AddDurableSampleServices(this IServiceCollection services)
    {
        services.TryAddSingleton<ApprovalInbox>();
        return services;
    }

    /// <summary>Orders posted to the webhook are validated, charged through the payment subflow, and confirmed.</summary>
    public static IWorkflowBuilder OrderIntake =>
        Workflow.Define(DurableSampleIds.OrderIntake, o => { o.Name = "Order intake"; o.Tags = ["webhook", "subflow"]; })
            .OnWebhook(OrderWebhookPath, w => w.Schema<OrderIntakeRequest>())
            .Step("validate", ctx =>
            {
                var order = ctx.Payload.As<OrderIntakeRequest>();
                return order.Amount <= 0 ? throw new ArgumentException($"Order {order.OrderId} has no amount.") : order;
            })
            .Subflow("charge", DurableSampleIds.Payment, ctx => new { orderId = ctx.Last["orderId"].As<string>(), amount = ctx.Last["amount"].As<decimal>() })
            .Step("confirm", ctx => new { orderId = ctx.Steps["validate"].Output["orderId"].As<string>(), charge = ctx.Last, confirmed = true });

    /// <summary>Charges an order through the primary gateway, falling back to the backup.</summary>
    public static IWorkflowBuilder Payment =>
        Workflow.Define(DurableSampleIds.Payment, o => o.Name = "Payment")
            .Race(
                new RaceOptions { Name = "charge", Timeout = TimeSpan.FromSeconds(30) },
                async ctx => await ctx.Services.GetRequiredService<PrimaryPaymentGateway>().ProcessAsync(new PaymentRequest(ctx.Payload["orderId"].As<string>(), ctx.Payload["amount"].As<decimal>(), "EUR"), ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<BackupPaymentGateway>().ProcessAsync(new PaymentRequest(ctx.Payload["orderId"].As<string>(), ctx.Payload["amount"].As<decimal>(), "EUR"), ctx.CancellationToken))
            .Retry(3, Backoff.Exponential(TimeSpan.FromSeconds(1), max: TimeSpan.FromSeconds(10)));

    /// <summary>A refund waits (up to a day) for a person; approved refunds are paid, others rejected.</summary>
    public static IWorkflowBuilder RefundApproval =>
        Workflow.Define(DurableSampleIds.RefundApproval, o => { o.Name = "Refund approval"; o.Tags = ["human-in-the-loop"]; })
            .Step("assess", ctx => ctx.Payload.As<RefundRequest>())
            .HumanInTheLoop(h =>
            {
                h.Name = "manager-approval";
                h.Description = "Approve or reject the refund";
                h.Timeout = TimeSpan.FromHours(24);
                h.OnPause = (ctx, token) =>
                {
                    ctx.Services.GetRequiredService<ApprovalInbox>().Request(ctx.Steps["assess"].Output["refundId"].As<string>(), token);
                    return Task.CompletedTask;
                };
            })
            .If("approved", ctx => ctx.Last["approved"].As<bool>())
                .Step("pay-refund", ctx => new { refunded = ctx.Steps["assess"].Output["amount"].As<decimal>(), by = ctx.Steps["manager-approval"].Output["approvedBy"].As<string>() })
            .Else()
                .Step("reject-refund", ctx => new { refunded = 0m, reason = ctx.Steps["manager-approval"].Output["timedOut"].As<bool>() ? "no decision in time" : ctx.Steps["manager-approval"].Output["reason"].As<string>() })
            .EndIf();

    /// <summary>Authorizes a payment, then waits (up to an hour) for <c>payment.settled</c>.</summary>
    public static IWorkflowBuilder Settlement =>
        Workflow.Define(DurableSampleIds.Settlement, o => { o.Name = "Payment settlement"; o.Tags = ["events"]; })
            .Step("authorize", ctx => new { paymentId = ctx.Payload["paymentId"].As<string>(), authorized = true })
            .WaitForEvent("payment.settled", TimeSpan.FromHours(1))
            .OnError(ctx => new { settled = false, reason = ctx.Error!.Message })
            .Step("record", ctx => new { paymentId = ctx.Steps["authorize"].Output["paymentId"].As<string>(), settlement = ctx.Last });

    /// <summary>Started for every published <c>order.created</c> event.</summary>
    public static IWorkflowBuilder OrderCreated =>
        Workflow.Define(DurableSampleIds.OrderCreated, o => { o.Name = "Order created"; o.Tags = ["events"]; })
            .OnEvent("order.created")
            .Action("notify-warehouse", async ctx => { await Task.Delay(50, ctx.CancellationToken); return "notified"; })
            .Step("welcome", ctx => new { orderId = ctx.Payload["orderId"].As<string>(), welcomed = true });

    /// <summary>Builds a small report every five minutes (UTC).</summary>
    public static IWorkflowBuilder PeriodicReport =>
        Workflow.Define(DurableSampleIds.PeriodicReport, o => { o.Name = "Periodic report"; o.Tags = ["schedule"]; })
            .OnSchedule("*/5 * * * *")
            .Parallel(
                new ParallelOptions { Name = "gather" },
                async ctx => await ctx.Services.GetRequiredService<OrderStore>().GetAsync(SampleData.Orders[0].Id, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<HealthCheckClient>().PrimaryAsync(ctx.CancellationToken))
            .Step("report", ctx => new { scheduledFor = ctx.Payload["scheduledFor"].As<string>(), order = ctx.Last[0], health = ctx.Last[1] });
}
