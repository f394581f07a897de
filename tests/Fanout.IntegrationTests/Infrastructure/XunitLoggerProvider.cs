using System.Globalization;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Infrastructure;

/// <summary>Writes log entries to the test's output; drops entries that arrive after the test ended.</summary>
public sealed class XunitLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new XunitLogger(output, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    sealed class XunitLogger(ITestOutputHelper output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string line = string.Create(
                CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:HH:mm:ss.fff} [{logLevel}] {category}: {formatter(state, exception)}");
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }

            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has finished; background components may still log while shutting down.
            }
        }
    }
}
