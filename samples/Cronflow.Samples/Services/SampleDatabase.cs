using System.Collections.Concurrent;

namespace Cronflow.Samples;

/// <summary>One write made to the database.</summary>
/// <param name="Table">The table written.</param>
/// <param name="Operation">update or insert.</param>
/// <param name="RecordId">The key of the row.</param>
/// <param name="RowsAffected">Rows changed.</param>
public sealed record DbWrite(string Table, string Operation, string RecordId, int RowsAffected);

/// <summary>A database that takes writes (simulated; it keeps the list of writes made).</summary>
public sealed class SampleDatabase(SampleLatency latency)
{
    private readonly ConcurrentQueue<DbWrite> _writes = new();

    /// <summary>Every write made so far, in the order they finished.</summary>
    public IReadOnlyCollection<DbWrite> Writes => [.. _writes];

    /// <summary>UPDATE users SET last_active = … WHERE id = ….</summary>
    public Task<DbWrite> UpdateUserLastActiveAsync(string userId, DateTimeOffset lastActive, CancellationToken cancellationToken = default) =>
        WriteAsync(new DbWrite("users", "update", userId, SampleData.Users.Any(u => u.Id == userId) ? 1 : 0), cancellationToken);

    /// <summary>UPDATE orders SET status = … WHERE id = ….</summary>
    public Task<DbWrite> UpdateOrderStatusAsync(string orderId, string status, CancellationToken cancellationToken = default) =>
        WriteAsync(new DbWrite("orders", "update", orderId, SampleData.Orders.Any(o => o.Id == orderId) ? 1 : 0), cancellationToken);

    /// <summary>INSERT INTO analytics (event, subject, timestamp).</summary>
    public Task<DbWrite> InsertAnalyticsEventAsync(string eventName, string subject, DateTimeOffset timestamp, CancellationToken cancellationToken = default) =>
        WriteAsync(new DbWrite("analytics", "insert", $"{eventName}:{subject}", 1), cancellationToken);

    private async Task<DbWrite> WriteAsync(DbWrite write, CancellationToken cancellationToken)
    {
        await Task.Delay(latency.DatabaseWrite, cancellationToken);
        _writes.Enqueue(write);
        return write;
    }
}
