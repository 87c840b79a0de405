namespace Cronflow.Samples;

/// <summary>Stock available for a product, as the external API reports it.</summary>
/// <param name="ProductId">The product.</param>
/// <param name="Available">Units available.</param>
public sealed record InventoryLevel(string ProductId, int Available);

/// <summary>A plain answer of an HTTP API.</summary>
/// <param name="Endpoint">The endpoint called.</param>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="Body">The response body.</param>
public sealed record ApiResponse(string Endpoint, int StatusCode, string Body);

/// <summary>A client of a partner's HTTP API (simulated).</summary>
public sealed class ExternalApiClient(SampleLatency latency)
{
    /// <summary>GET /users/{id}.</summary>
    /// <exception cref="KeyNotFoundException">No such user.</exception>
    public async Task<User> GetUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.ExternalApi, cancellationToken);
        return SampleData.Users.FirstOrDefault(u => u.Id == userId)
            ?? throw new KeyNotFoundException($"GET /users/{userId}: 404 Not Found.");
    }

    /// <summary>GET /orders/{id}.</summary>
    /// <exception cref="KeyNotFoundException">No such order.</exception>
    public async Task<Order> GetOrderAsync(string orderId, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.ExternalApi, cancellationToken);
        return SampleData.Orders.FirstOrDefault(o => o.Id == orderId)
            ?? throw new KeyNotFoundException($"GET /orders/{orderId}: 404 Not Found.");
    }

    /// <summary>GET /inventory?ids=…, in the order asked; unknown products have nothing available.</summary>
    public async Task<IReadOnlyList<InventoryLevel>> GetInventoryAsync(IEnumerable<string> productIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(productIds);
        await Task.Delay(latency.ExternalApi, cancellationToken);
        return [.. productIds.Select(id => new InventoryLevel(id, SampleData.Products.FirstOrDefault(p => p.Id == id)?.Stock ?? 0))];
    }

    /// <summary>A GET on any endpoint.</summary>
    public async Task<ApiResponse> CallAsync(string endpoint, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.ExternalApi, cancellationToken);
        return new ApiResponse(endpoint, 200, $"GET {endpoint}: ok");
    }

    /// <summary>POST /reports: a slow endpoint (<see cref="SampleLatency.SlowReport"/>).</summary>
    public async Task<ApiResponse> GenerateReportAsync(string subject, CancellationToken cancellationToken = default)
    {
        await Task.Delay(latency.SlowReport, cancellationToken);
        return new ApiResponse($"/v1/reports/{subject}", 201, $"report on {subject}: 42 pages");
    }
}
