namespace Cronflow.Samples;

/// <summary>A payment to take.</summary>
/// <param name="OrderId">The order paid for.</param>
/// <param name="Amount">The amount to charge.</param>
/// <param name="Currency">An ISO currency code.</param>
public sealed record PaymentRequest(string OrderId, decimal Amount, string Currency);

/// <summary>What a payment gateway answered.</summary>
/// <param name="Success">True when the payment was taken.</param>
/// <param name="Gateway">primary or backup.</param>
/// <param name="TransactionId">The gateway's transaction id, when taken.</param>
/// <param name="DeclineReason">Why the payment was declined, when not taken.</param>
public sealed record PaymentResult(bool Success, string Gateway, string? TransactionId, string? DeclineReason);

/// <summary>The base of the two fake gateways: both decline amounts over <see cref="Limit"/>.</summary>
public abstract class PaymentGateway
{
    /// <summary>The largest amount the gateways accept.</summary>
    public const decimal Limit = 10_000m;

    private readonly string _name;
    private readonly Func<TimeSpan> _latency;
    private readonly Func<bool> _down;

    private protected PaymentGateway(string name, Func<TimeSpan> latency, Func<bool> down)
    {
        _name = name;
        _latency = latency;
        _down = down;
    }

    /// <summary>Charges the payment.</summary>
    /// <exception cref="SampleServiceException">The gateway is down (see <see cref="SampleFaults"/>).</exception>
    public async Task<PaymentResult> ProcessAsync(PaymentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await Task.Delay(_latency(), cancellationToken);
        if (_down())
        {
            throw new SampleServiceException($"The {_name} payment gateway is unavailable (503).");
        }

        return request.Amount > Limit
            ? new PaymentResult(false, _name, null, $"amount {request.Amount} {request.Currency} is over the limit of {Limit}")
            : new PaymentResult(true, _name, $"{_name}-{request.OrderId}", null);
    }
}

/// <summary>The primary payment gateway: fast, can be taken down with <see cref="SampleFaults.PrimaryGatewayDown"/>.</summary>
public sealed class PrimaryPaymentGateway(SampleLatency latency, SampleFaults faults)
    : PaymentGateway("primary", () => latency.PrimaryGateway, () => faults.PrimaryGatewayDown);

/// <summary>The backup payment gateway: slower, can be taken down with <see cref="SampleFaults.BackupGatewayDown"/>.</summary>
public sealed class BackupPaymentGateway(SampleLatency latency, SampleFaults faults)
    : PaymentGateway("backup", () => latency.BackupGateway, () => faults.BackupGatewayDown);
