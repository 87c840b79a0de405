using Microsoft.Extensions.DependencyInjection;
using static Cronflow.Tests.Definition.DefinitionTestHelpers;

namespace Cronflow.Tests.Definition;

/// <summary>
/// Definition errors about triggers: schedules (CRONFLOW0020) and webhooks (CRONFLOW0021).
/// </summary>
public sealed class TriggerValidationTests
{
    // ---- CRONFLOW0020 invalid schedule ----------------------------------------------------

    [Theory]
    [InlineData("0 2 * *", 4)]
    [InlineData("0 0 2 * * * 2024", 7)]
    [InlineData("", 0)]
    public void OnSchedule_WrongFieldCount_ReportsInvalidSchedule(string cron, int fields)
    {
        var error = SingleError(Workflow.Define(Id).OnSchedule(cron).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' has {fields} fields; it needs 5 (minute precision) or 6 (with seconds).");
    }

    [Theory]
    [InlineData("61 * * * *")]
    [InlineData("0 2 * * mon-xyz")]
    [InlineData("a b c d e")]
    public void OnSchedule_BadSyntax_ReportsInvalidSchedule(string cron)
    {
        var error = SingleError(Workflow.Define(Id).OnSchedule(cron).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' is invalid:");
    }

    [Fact]
    public void OnSchedule_UnknownTimeZone_ReportsInvalidSchedule()
    {
        var error = SingleError(Workflow.Define(Id).OnSchedule("0 2 * * *", "Mars/Olympus_Mons").Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, "schedule 0 2 * * *", "The time zone 'Mars/Olympus_Mons' is not known on this machine.");
    }

    [Theory]
    [InlineData(999)]
    [InlineData(0)]
    [InlineData(-1000)]
    public void OnInterval_BelowOneSecond_ReportsInvalidSchedule(int milliseconds)
    {
        var interval = TimeSpan.FromMilliseconds(milliseconds);

        var error = SingleError(Workflow.Define(Id).OnInterval(interval).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidSchedule, $"interval {interval}", $"The interval {interval} is shorter than one second.");
    }

    [Fact]
    public void OnSchedule_ValidCronsAndInterval_Builds()
    {
        var definition = Workflow.Define(Id)
            .OnSchedule("0 2 * * *")
            .OnSchedule("*/30 * * * * *")
            .OnSchedule("0 9 * * MON-FRI", "Europe/Paris")
            .OnInterval(TimeSpan.FromSeconds(1))
            .Step("a", _ => 1)
            .Build();

        Assert.Equal(
            ["cron:0 2 * * *@UTC", "cron:*/30 * * * * *@UTC", "cron:0 9 * * MON-FRI@Europe/Paris", "every:1s"],
            definition.Schedules.Select(s => s.Key));
    }

    // ---- CRONFLOW0021 invalid webhook -----------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("  ")]
    public void OnWebhook_EmptyPath_ReportsInvalidWebhook(string path)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, $"webhook {path}", "The webhook path is empty.");
    }

    [Theory]
    [InlineData("/runs", "runs")]
    [InlineData("/runs/{id}/x", "runs")]
    [InlineData("/Workflows/orders", "Workflows")]
    [InlineData("/health", "health")]
    [InlineData("/events/x", "events")]
    [InlineData("/resume", "resume")]
    [InlineData("/Dashboard/hook", "Dashboard")]
    public void OnWebhook_PathCollidingWithManagementRoute_ReportsInvalidWebhook(string path, string segment)
    {
        var errors = Errors(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        Assert.Contains(errors, e => e.Code == ErrorCodes.InvalidWebhook && e.Path == $"webhook {path}" &&
            e.Message.Contains($"collides with the management route /api/{segment}", StringComparison.Ordinal));
    }

    [Fact]
    public void OnWebhook_PathCollidingWithRuns_ReportsInvalidWebhook()
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook("/runs").Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, "webhook /runs", "The webhook path '/runs' collides with the management route /api/runs");
    }

    [Theory]
    [InlineData("/api/orders")]
    [InlineData("api/orders")]
    [InlineData("/API")]
    public void OnWebhook_PathStartingWithApi_ReportsInvalidWebhook(string path)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, $"webhook {path}", "must not start with /api", "register it without the prefix");
    }

    [Theory]
    [InlineData("/hooks/a b")]
    [InlineData("/hooks/a?b")]
    [InlineData("/hooks/{id}")]
    [InlineData("/hooks/*")]
    public void OnWebhook_PathWithForbiddenCharacter_ReportsInvalidWebhook(string path)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook(path).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, $"webhook {path}", "contains a character that is not allowed");
    }

    [Theory]
    [InlineData("FETCH")]
    [InlineData("")]
    [InlineData(null)]
    public void OnWebhook_BadMethod_ReportsInvalidWebhook(string? method)
    {
        var error = SingleError(Workflow.Define(Id).OnWebhook("/webhooks/orders", w => w.Method = method!).Step("a", _ => 1));

        AssertError(error, ErrorCodes.InvalidWebhook, "webhook /webhooks/orders", $"The webhook method '{method}' is not one of GET, POST, PUT, PATCH, DELETE.");
    }

    [Fact]
    public void OnWebhook_ZeroMaxBodyBytesAndEmptySecret_ReportsBothProblems()
    {
        var errors = Errors(Workflow.Define(Id)
            .OnWebhook("/webhooks/orders", w => { w.MaxBodyBytes = 0; w.Secret = ""; })
            .Step("a", _ => 1));

        Assert.Collection(
            errors,
            e => AssertError(e, ErrorCodes.InvalidWebhook, "webhook /webhooks/orders", "MaxBodyBytes is 0; it must be positive."),
            e => AssertError(e, ErrorCodes.InvalidWebhook, "webhook /webhooks/orders", "The webhook secret is empty"));
    }

    [Fact]
    public void OnWebhook_ValidPath_IsNormalised()
    {
        var definition = Workflow.Define(Id)
            .OnWebhook("webhooks/orders/", w => w.Method = "put")
            .Step("a", _ => 1)
            .Build();

        var webhook = Assert.Single(definition.Webhooks);
        Assert.Equal("/webhooks/orders", webhook.Path);
        Assert.Equal("put", webhook.Options.Method);
    }

    [Fact]
    public void AddCronflow_SameWebhookRouteInTwoWorkflows_ReportsInvalidWebhook()
    {
        var first = Workflow.Define("first").OnWebhook("/webhooks/orders").Step("a", _ => 1);
        var second = Workflow.Define("second").OnWebhook("/webhooks/orders/", w => w.Method = "post").Step("a", _ => 1);

        var ex = Assert.Throws<WorkflowDefinitionException>(() =>
            new ServiceCollection().AddCronflow(c => c.AddWorkflow(first).AddWorkflow(second)));

        var error = Assert.Single(ex.Errors);
        AssertErrorIn(error, ErrorCodes.InvalidWebhook, "second", "webhook /webhooks/orders",
            "The webhook route POST /webhooks/orders is already registered by workflow 'first'.");
    }

    [Fact]
    public void AddCronflow_SameWebhookPathWithDifferentMethods_Registers()
    {
        var first = Workflow.Define("first").OnWebhook("/webhooks/orders").Step("a", _ => 1);
        var second = Workflow.Define("second").OnWebhook("/webhooks/orders", w => w.Method = "PUT").Step("a", _ => 1);

        var services = new ServiceCollection().AddCronflow(c => c.AddWorkflow(first).AddWorkflow(second));

        Assert.Contains(services, d => d.ServiceType == typeof(WorkflowRegistry));
    }
}
