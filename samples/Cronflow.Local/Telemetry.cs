using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cronflow.Local;

/// <summary>
/// Exports Cronflow's traces and metrics with the OpenTelemetry SDK: to the console with <c>--otel-console</c>, and
/// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads the standard OTEL_* variables).
/// </summary>
internal static class Telemetry
{
    public static IDisposable? Start(bool console)
    {
        var otlp = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if (!console && !otlp)
        {
            return null;
        }

        var resource = ResourceBuilder.CreateDefault().AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? "cronflow-local");
        // The HTTP request that triggers a run is the root of its trace: the run span continues it.
        var traces = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(CronflowTelemetry.Name).AddAspNetCoreInstrumentation();
        var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(CronflowTelemetry.Name);
        if (console)
        {
            traces.AddConsoleExporter();
            metrics.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000);
        }

        if (otlp)
        {
            traces.AddOtlpExporter();
            metrics.AddOtlpExporter();
        }

        return new Providers(traces.Build(), metrics.Build());
    }

    private sealed class Providers(TracerProvider? traces, MeterProvider? metrics) : IDisposable
    {
        public void Dispose()
        {
            traces?.Dispose();
            metrics?.Dispose();
        }
    }
}
