using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.AspNetCore.Routing.Template;

namespace Cronflow.Functions.Tests;

/// <summary>
/// The webhook function's route, parsed and matched with ASP.NET Core routing (which the Functions host uses):
/// it serves any first segment except the management ones, so it never overlaps a management route.
/// </summary>
public sealed class WebhookRouteTests
{
    private static readonly RouteTemplate Template = TemplateParser.Parse(CronflowWebhookFunction.Route);

    private static bool FirstSegmentMatches(string segment)
    {
        var parameter = Template.Segments[0].Parts[0];
        var constraint = Assert.Single(parameter.InlineConstraints).Constraint;
        Assert.StartsWith("regex(", constraint, StringComparison.Ordinal);
        return new RegexInlineRouteConstraint(constraint["regex(".Length..^1]).Constraint.IsMatch(segment);
    }

    [Fact]
    public void Route_Parses_AsOneConstrainedSegmentAndACatchAll()
    {
        Assert.Equal(2, Template.Segments.Count);
        Assert.Equal("segment", Template.Segments[0].Parts[0].Name);
        Assert.True(Template.Segments[1].Parts[0].IsCatchAll);
    }

    [Theory]
    [InlineData("webhooks")]
    [InlineData("github")]
    [InlineData("Orders")]
    [InlineData("runsx")]
    [InlineData("healthz")]
    [InlineData("event")]
    public void Route_OtherFirstSegments_Match(string segment) => Assert.True(FirstSegmentMatches(segment));

    [Fact]
    public void Route_ManagementFirstSegments_DoNotMatchInAnyCase()
    {
        foreach (var reserved in WebhookPaths.ReservedSegments)
        {
            Assert.False(FirstSegmentMatches(reserved), reserved);
            Assert.False(FirstSegmentMatches(reserved.ToUpperInvariant()), reserved);
        }
    }

    [Fact]
    public void Route_ExcludedSegments_AreExactlyTheReservedOnes()
    {
        var inRoute = CronflowWebhookFunction.Route.Split("(?!(")[1].Split(")$)")[0].Split('|');

        Assert.Equal(WebhookPaths.ReservedSegments.Order(StringComparer.Ordinal), inRoute.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/api/webhooks/orders", "/webhooks/orders")]
    [InlineData("/api/github/push/", "/github/push/")]
    [InlineData("/api/runs/a%20b", "/runs/a b")]
    [InlineData("/api", "/")]
    public void ApiPath_Url_IsThePathBelowTheRoutePrefix(string path, string expected) =>
        Assert.Equal(expected, Engine.FunctionsHttp.ApiPath(new Uri("https://app.example" + path)));
}
