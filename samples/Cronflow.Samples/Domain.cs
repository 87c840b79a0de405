namespace Cronflow.Samples;

/// <summary>A customer account.</summary>
/// <param name="Id">The user id, such as <c>u-1</c>.</param>
/// <param name="Name">The display name.</param>
/// <param name="Email">The e-mail address.</param>
/// <param name="Active">Whether the account is active.</param>
public sealed record User(string Id, string Name, string Email, bool Active);

/// <summary>One line of an order.</summary>
/// <param name="ProductId">The ordered product.</param>
/// <param name="Quantity">How many units.</param>
public sealed record OrderLine(string ProductId, int Quantity);

/// <summary>A customer order.</summary>
/// <param name="Id">The order id, such as <c>o-1001</c>.</param>
/// <param name="UserId">The customer who placed it.</param>
/// <param name="Amount">The order total.</param>
/// <param name="Status">The fulfilment status.</param>
/// <param name="Lines">The ordered products.</param>
public sealed record Order(string Id, string UserId, decimal Amount, string Status, IReadOnlyList<OrderLine> Lines);

/// <summary>A product of the catalogue.</summary>
/// <param name="Id">The product id, such as <c>p-1</c>.</param>
/// <param name="Name">The product name.</param>
/// <param name="Price">The unit price.</param>
/// <param name="Stock">Units in stock.</param>
public sealed record Product(string Id, string Name, decimal Price, int Stock);

/// <summary>A payment recorded for an order.</summary>
/// <param name="Id">The payment id, such as <c>pay-5001</c>.</param>
/// <param name="OrderId">The order it pays for.</param>
/// <param name="Amount">The amount.</param>
/// <param name="Status">authorized, captured or refunded.</param>
/// <param name="Method">card, transfer, …</param>
public sealed record Payment(string Id, string OrderId, decimal Amount, string Status, string Method);

/// <summary>The fixed data behind the fake stores, so that tests can compute expected results.</summary>
public static class SampleData
{
    private static readonly string[] FirstNames = ["Ada", "Brian", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro"];

    /// <summary>40 users, <c>u-1</c> to <c>u-40</c>; every fifth one is inactive.</summary>
    public static IReadOnlyList<User> Users { get; } =
    [
        .. Enumerable.Range(1, 40).Select(i => new User(
            $"u-{i}",
            $"{FirstNames[(i - 1) % FirstNames.Length]} #{i}",
            $"user{i}@example.com",
            Active: i % 5 != 0)),
    ];

    /// <summary>The catalogue. <c>p-4</c> is nearly sold out, <c>p-5</c> is sold out.</summary>
    public static IReadOnlyList<Product> Products { get; } =
    [
        new("p-1", "Mechanical keyboard", 49.90m, 120),
        new("p-2", "Wireless mouse", 19.90m, 300),
        new("p-3", "27\" monitor", 229.00m, 15),
        new("p-4", "4K webcam", 89.00m, 2),
        new("p-5", "Studio headset", 79.00m, 0),
    ];

    /// <summary>
    /// Orders: <c>o-1001</c> (u-1, in stock, paid), <c>o-1002</c> (u-2, authorized payment),
    /// <c>o-1003</c> (u-3, more webcams than in stock, no payment), <c>o-1004</c> (u-5, an inactive user).
    /// </summary>
    public static IReadOnlyList<Order> Orders { get; } =
    [
        new("o-1001", "u-1", 328.80m, "new", [new("p-1", 2), new("p-3", 1)]),
        new("o-1002", "u-2", 19.90m, "new", [new("p-2", 1)]),
        new("o-1003", "u-3", 445.00m, "new", [new("p-4", 5)]),
        new("o-1004", "u-5", 79.00m, "new", [new("p-5", 1)]),
    ];

    /// <summary>Payments of <c>o-1001</c> (captured) and <c>o-1002</c> (authorized).</summary>
    public static IReadOnlyList<Payment> Payments { get; } =
    [
        new("pay-5001", "o-1001", 328.80m, "captured", "card"),
        new("pay-5002", "o-1002", 19.90m, "authorized", "transfer"),
    ];

    /// <summary>Keys held by the cache data source.</summary>
    public static IReadOnlyDictionary<string, string> CachedValues { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["config:feature-flags"] = "dark-mode,new-checkout",
    };

    /// <summary>Keys held by the database data source (the external source knows every key).</summary>
    public static IReadOnlyDictionary<string, string> DatabaseValues { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["config:feature-flags"] = "dark-mode,new-checkout",
        ["user:u-1:preferences"] = "lang=en;currency=EUR",
    };
}
