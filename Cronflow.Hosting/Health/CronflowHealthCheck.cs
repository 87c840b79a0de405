using Cronflow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cronflow;

/// <summary>The Cronflow health check in ASP.NET Core / generic host health checks.</summary>
public static class CronflowHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the engine registered by <c>AddCronflowHost</c>: Unhealthy (or <paramref name="failureStatus"/>)
    /// when the engine has not started or has stopped, or when the backend does not answer within 5 seconds; Degraded when
    /// this host fires schedules and its last schedule tick is late; Healthy otherwise.
    /// </summary>
    /// <param name="builder">The application's health checks.</param>
    /// <param name="name">The check's name (default <c>cronflow</c>).</param>
    /// <param name="failureStatus">The status reported when the engine or the backend is down (default Unhealthy).</param>
    /// <param name="tags">Tags to filter checks with, such as <c>ready</c>.</param>
    public static IHealthChecksBuilder AddCronflow(this IHealthChecksBuilder builder, string name = "cronflow", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            services => new CronflowHealthCheck(services.GetService<CronflowEngine>()
                ?? throw new InvalidOperationException("The Cronflow health check needs the engine: call builder.Services.AddCronflowHost(...).")),
            failureStatus,
            tags));
    }
}

/// <summary>Backend reachable, engine started, schedules ticking.</summary>
internal sealed class CronflowHealthCheck(CronflowEngine engine) : IHealthCheck
{
    /// <summary>How long the backend has to answer the probe.</summary>
    internal static readonly TimeSpan BackendTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A tick is late when none finished for this many intervals (plus <see cref="LateGrace"/>).</summary>
    internal const int LateIntervals = 3;

    /// <summary>Slack for a slow tick (many due occurrences, a slow backend) before it counts as late.</summary>
    internal static readonly TimeSpan LateGrace = TimeSpan.FromSeconds(10);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        switch (engine.State)
        {
            case CronflowEngine.EngineState.NotStarted:
                return new HealthCheckResult(failure, "The Cronflow engine has not started.");
            case CronflowEngine.EngineState.Stopped:
                return new HealthCheckResult(failure, "The Cronflow engine has stopped.");
        }

        var data = new Dictionary<string, object> { ["backend"] = engine.IsDurable ? "Azure Storage" : "in memory" };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(BackendTimeout);
            await engine.ProbeBackendAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(failure, $"The backend did not answer within {BackendTimeout.TotalSeconds:0} seconds.", data: data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new HealthCheckResult(failure, "The backend is unreachable: " + ex.Message, ex, data);
        }

        if (engine.Ticker is { } ticker)
        {
            var last = ticker.LastTickAt ?? engine.StartedAt;
            var late = engine.Options.TimeProvider.GetUtcNow() - last;
            data["lastScheduleTick"] = last;
            if (late > ticker.Interval * LateIntervals + LateGrace)
            {
                return HealthCheckResult.Degraded($"Schedules are late: the last schedule tick finished {late.TotalSeconds:0} seconds ago (every {ticker.Interval.TotalSeconds:0.#} s expected).", data: data);
            }
        }

        return HealthCheckResult.Healthy("The Cronflow engine is started and its backend answers.", data);
    }
}
