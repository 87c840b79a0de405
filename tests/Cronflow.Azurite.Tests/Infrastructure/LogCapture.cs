using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cronflow.Azurite.Tests.Infrastructure;

/// <summary>Keeps the host's log lines at or above a level (newest last), to show what the engine did when a test fails.</summary>
internal sealed class LogCapture(LogLevel minimum) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= capture._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            if (IsEnabled(logLevel) && !message.StartsWith("Fetched instance status", StringComparison.Ordinal))
            {
                capture._lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {(message.Length > 400 ? message[..400] : message)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message.Split('\n')[0])}");
            }
        }
    }

    private readonly LogLevel _minimum = minimum;
}
