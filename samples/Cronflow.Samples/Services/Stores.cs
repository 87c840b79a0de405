namespace Cronflow.Samples;

/// <summary>The result of checking an order's consistency.</summary>
/// <param name="Valid">True when no issue was found.</param>
/// <param name="Issues">What is wrong, in plain words.</param>
public sealed record OrderCheck(bool Valid, IReadOnlyList<string> Issues);

/// <summary>The result of checking stock for an order.</summary>
/// <param name="AllInStock">True when every line can be shipped.</param>
/// <param name="Shortages">The products short of stock, with the missing quantity.</param>
public sealed record InventoryCheck(bool AllInStock, IReadOnlyList<string> Shortages);

/// <summary>The result of checking that an order is paid.</summary>
/// <param name="Verified">True when a captured or authorized payment covers the order.</param>
/// <param name="PaymentId">The payment found, if any.</param>
/// <param name="Reason">Why the payment is (not) accepted.</param>
public sealed record PaymentVerification(bool Verified, string? PaymentId, string Reason);

/// <summary>A user after the batch sample processed it.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Email">Where the digest was sent.</param>
/// <param name="Segment">The marketing segment computed for the user.</param>
public sealed record ProcessedUser(string UserId, string Email, string Segment);

/// <summary>The user store.</summary>
public sealed class UserStore(SampleLatency latency)
{
    /// <summary>Reads one user.</summary>
    /// <exception cref="KeyNotFoundException">No such user.</exception>
    public async Task<User> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.Store, cancellationToken);
        return SampleData.Users.FirstOrDefault(u => u.Id == userId)
            ?? throw new KeyNotFoundException($"User '{userId}' does not exist.");
    }

    /// <summary>Reads every active user, in id order.</summary>
    public async Task<IReadOnlyList<User>> FindActiveAsync(CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.Store, cancellationToken);
        return [.. SampleData.Users.Where(u => u.Active)];
    }
}

/// <summary>The order store.</summary>
public sealed class OrderStore(SampleLatency latency)
{
    /// <summary>Reads one order.</summary>
    /// <exception cref="KeyNotFoundException">No such order.</exception>
    public async Task<Order> GetAsync(string orderId, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.Store, cancellationToken);
        return SampleData.Orders.FirstOrDefault(o => o.Id == orderId)
            ?? throw new KeyNotFoundException($"Order '{orderId}' does not exist.");
    }

    /// <summary>Checks that the order has lines, a positive amount and an active customer.</summary>
    public async Task<OrderCheck> ValidateAsync(Order order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await Task.Delay(latency.Store, cancellationToken);
        var issues = new List<string>();
        if (order.Lines.Count == 0)
        {
            issues.Add("The order has no lines.");
        }

        if (order.Amount <= 0)
        {
            issues.Add("The order amount is not positive.");
        }

        var customer = SampleData.Users.FirstOrDefault(u => u.Id == order.UserId);
        if (customer is null)
        {
            issues.Add($"Customer '{order.UserId}' does not exist.");
        }
        else if (!customer.Active)
        {
            issues.Add($"Customer '{order.UserId}' is inactive.");
        }

        return new OrderCheck(issues.Count == 0, issues);
    }
}

/// <summary>The product catalogue.</summary>
public sealed class ProductStore(SampleLatency latency)
{
    /// <summary>Reads several products, in the order asked.</summary>
    /// <exception cref="KeyNotFoundException">One of the products does not exist.</exception>
    public async Task<IReadOnlyList<Product>> GetManyAsync(IEnumerable<string> productIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(productIds);
        await Task.Delay(latency.Store, cancellationToken);
        return
        [
            .. productIds.Select(id => SampleData.Products.FirstOrDefault(p => p.Id == id)
                ?? throw new KeyNotFoundException($"Product '{id}' does not exist.")),
        ];
    }

    /// <summary>Checks that every line of an order is in stock.</summary>
    public async Task<InventoryCheck> CheckInventoryAsync(IEnumerable<OrderLine> lines, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lines);
        await Task.Delay(latency.Store, cancellationToken);
        var shortages = new List<string>();
        foreach (var line in lines)
        {
            var stock = SampleData.Products.FirstOrDefault(p => p.Id == line.ProductId)?.Stock ?? 0;
            if (stock < line.Quantity)
            {
                shortages.Add($"{line.ProductId}: {line.Quantity - stock} missing");
            }
        }

        return new InventoryCheck(shortages.Count == 0, shortages);
    }
}

/// <summary>The payment store.</summary>
public sealed class PaymentStore(SampleLatency latency)
{
    /// <summary>Reads one payment.</summary>
    /// <exception cref="KeyNotFoundException">No such payment.</exception>
    public async Task<Payment> GetAsync(string paymentId, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.Store, cancellationToken);
        return SampleData.Payments.FirstOrDefault(p => p.Id == paymentId)
            ?? throw new KeyNotFoundException($"Payment '{paymentId}' does not exist.");
    }

    /// <summary>Checks that a captured or authorized payment covers the order.</summary>
    public async Task<PaymentVerification> VerifyAsync(Order order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        await Task.Delay(latency.Store, cancellationToken);
        var payment = SampleData.Payments.FirstOrDefault(p => p.OrderId == order.Id);
        if (payment is null)
        {
            return new PaymentVerification(false, null, "no payment recorded");
        }

        if (payment.Amount < order.Amount)
        {
            return new PaymentVerification(false, payment.Id, "payment does not cover the order");
        }

        return payment.Status is "captured" or "authorized"
            ? new PaymentVerification(true, payment.Id, $"payment {payment.Status}")
            : new PaymentVerification(false, payment.Id, $"payment {payment.Status}");
    }
}

/// <summary>Processes one user in the batch sample (computes a segment and sends a digest).</summary>
public sealed class UserProcessor(SampleLatency latency)
{
    /// <summary>Processes <paramref name="user"/>.</summary>
    public async Task<ProcessedUser> ProcessAsync(User user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await Task.Delay(latency.UserProcessing, cancellationToken);
        var number = int.Parse(user.Id.AsSpan(user.Id.IndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
        var segment = (number % 3) switch
        {
            0 => "gold",
            1 => "silver",
            _ => "bronze",
        };
        return new ProcessedUser(user.Id, user.Email, segment);
    }
}
