using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;
using System.Globalization;
using Azure.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Cronflow.Benchmarks.Harness;

/// <summary>
/// Writes the engine's and the backend's warnings and errors to a file, one line each with the time, for diagnosing
/// Azurite batches that stall (<c>--log FILE</c>). Information events are kept only for partitions, leases, the
/// backend's prefetch limit and the dispatchers' "all slots busy" (throttled); every other information event (each
/// message received, sent or deleted) is left out. <see cref="ListenToSlowStorageRequests"/> adds the storage SDK's
/// slow-response warnings.
/// </summary>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    public FileLoggerProvider(string path)
    {
        _writer = new StreamWriter(path, append: false) { AutoFlush = true };
    }

    /// <summary>A logger factory writing to <paramref name="path"/>.</summary>
    public static ILoggerFactory CreateFactory(string path) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddProvider(new FileLoggerProvider(path));
    });

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    /// <summary>
    /// Writes the Azure SDK's own warnings about slow storage requests (a response that took over 3 s) through
    /// <paramref name="factory"/>, so that a request the emulator left hanging shows in the log next to the engine's
    /// events. Dispose the result to stop listening.
    /// </summary>
    public static IDisposable ListenToSlowStorageRequests(ILoggerFactory factory)
    {
        var logger = factory.CreateLogger("Azure.Core");
        return new AzureEventSourceListener(
            (e, message) =>
            {
                if (e.EventName == "ResponseDelay")
                {
                    logger.Log(LogLevel.Warning, new EventId(e.EventId, e.EventName), "{Message}", message);
                }
            },
            EventLevel.Warning);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Dispose();
        }
    }

    private static bool Keep(LogLevel level, EventId eventId) =>
        level >= LogLevel.Warning
        || (level == LogLevel.Information && eventId.Name is { } name
            && (name.Contains("Lease", StringComparison.Ordinal) || name.Contains("Partition", StringComparison.Ordinal) || name.Contains("Limit", StringComparison.Ordinal)
                || name.Contains("Throttled", StringComparison.Ordinal)));

    private void Write(string category, LogLevel level, EventId eventId, string message, Exception? exception)
    {
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss.fff} {level} {category} {eventId.Id}/{eventId.Name}: {message}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
        lock (_lock)
        {
            _writer.WriteLine(line.ReplaceLineEndings(" \\n "));
        }
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        [SuppressMessage("Design", "CA1062", Justification = "The logging infrastructure always passes a formatter.")]
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Keep(logLevel, eventId))
            {
                provider.Write(category, logLevel, eventId, formatter(state, exception), exception);
            }
        }
    }
}
