namespace Cronflow.Functions;

/// <summary>How <see cref="CronflowFunctionsServiceCollectionExtensions.AddCronflowFunctions"/> sets up the Functions worker.</summary>
public sealed class CronflowFunctionsOptions
{
    /// <summary>The app setting that Azure sets to the Application Insights connection string.</summary>
    public const string ApplicationInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>
    /// Records Cronflow's spans and instruments (<see cref="CronflowTelemetry.Name"/>) with the Functions worker's own
    /// through OpenTelemetry (default true). Turn it off when the app configures OpenTelemetry itself.
    /// </summary>
    public bool UseOpenTelemetry { get; set; } = true;

    /// <summary>
    /// Exports the OpenTelemetry spans and metrics to Application Insights when set (usually the
    /// <see cref="ApplicationInsightsSetting"/> app setting); null exports nothing.
    /// </summary>
    public string? ApplicationInsightsConnectionString { get; set; }
}
