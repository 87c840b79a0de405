using System.Text.Json;
using Cronflow.Http;

namespace Cronflow.Tests.Http;

public enum Priority
{
    Low,
    High,
}

public sealed class Ticket
{
    public required int Count { get; init; }

    public string Title { get; init; } = "";

    public string? Comment { get; init; }

    public Priority Priority { get; init; }

    public List<TicketLine> Lines { get; init; } = [];
}

public sealed record TicketLine(string Sku, decimal Price);

public sealed class WebhookSchemasTests
{
    [Fact]
    public void ToText_ClassWithRequiredAndNonNullableMembers_RequiresThem()
    {
        var schema = JsonDocument.Parse(WebhookSchemas.ToText(typeof(Ticket))).RootElement;

        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["count", "title", "lines"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["Low", "High"], schema.GetProperty("properties").GetProperty("priority").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Validate_ValidBody_ReturnsNoProblems()
    {
        var body = JsonDocument.Parse("""{ "count": 1, "title": "t", "priority": "High", "lines": [ { "sku": "a", "price": 1.5 } ] }""").RootElement;

        Assert.Empty(WebhookSchemas.Validate(typeof(Ticket), body));
    }

    [Fact]
    public void Validate_ProblemsInNestedArrays_ReportsEachWithItsPointer()
    {
        var body = JsonDocument.Parse("""{ "count": 1, "title": "t", "priority": "Urgent", "lines": [ { "sku": "a", "price": 1 }, { "price": "x" } ] }""").RootElement;

        var problems = WebhookSchemas.Validate(typeof(Ticket), body);

        var paths = problems.Select(p => p.Path).ToHashSet();
        Assert.Contains("/priority", paths);
        Assert.Contains("/lines/1", paths);        // sku is missing
        Assert.Contains("/lines/1/price", paths);
    }

    [Fact]
    public void Validate_NullBody_IsAProblem()
    {
        var problems = WebhookSchemas.Validate(typeof(Ticket), null);

        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.Equal("", p.Path));
    }
}
