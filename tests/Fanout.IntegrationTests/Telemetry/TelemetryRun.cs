using System.Collections.Concurrent;
using System.Diagnostics;
using Fanout.Core.Models;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Telemetry;

/// <summary>
/// One batch (3 chunks, some 429s) run by the real orchestrations, activities and Azure OpenAI client against the
/// simulator, with every span (any source), Fanout's metrics and every log record (Trace level) captured in memory.
/// </summary>
public sealed class TelemetryRun : IAsyncLifetime
{
    /// <summary>Lines in the batch.</summary>
    public const int Lines = 300;

    /// <summary>Lines per chunk.</summary>
    public const int ChunkSize = 100;

    private readonly AzuriteFixture _azurite = new();

    /// <summary>Text that appears only in the prompts.</summary>
    public string PromptMarker { get; } = "PROMPTSECRET" + Guid.NewGuid().ToString("N");

    /// <summary>The batch.</summary>
    public string BatchId { get; private set; } = string.Empty;

    /// <summary>The answers' texts (from the output), each of which must stay out of telemetry.</summary>
    public List<string> Answers { get; } = [];

    /// <summary>Every span that ended during the run.</summary>
    public List<Activity> Spans { get; } = [];

    /// <summary>Fanout's metrics at the end of the run.</summary>
    public List<MetricSnapshot> Metrics { get; } = [];

    /// <summary>Every log record of the app: category, level, message, state values, exception.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>The batch's result.</summary>
    public BatchResult Result { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource("*").AddInMemoryExporter(Spans).Build();
        using var meter = Sdk.CreateMeterProviderBuilder().AddMeter(Core.Telemetry.FanoutTelemetry.Name).AddInMemoryExporter(Metrics).Build();
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            LatencyMs = 5,
            FailureRate = 0.15,
            FailureStatusCode = 429,
            FailureRetryAfterMs = 20,
            Seed = 14,
        });
        await using (var app = await FanoutTestApp.StartAsync(
            _azurite.ConnectionString, simulator, DurableBackendKind.Memory, new NullOutput(), configureLogging: l =>
            {
                l.AddProvider(new CapturingLoggerProvider(Logs));
                l.SetMinimumLevel(LogLevel.Trace);
            }))
        {
            var input = await app.StartBatchAsync(FanoutTestApp.Jsonl(Lines, i => $"{PromptMarker} question {i}"), maxConcurrency: 30, chunkSize: ChunkSize);
            BatchId = input.BatchId;
            var meta = await app.WaitAsync(BatchId, TimeSpan.FromMinutes(3));
            Result = meta.ReadOutputAs<BatchResult>()!;
            foreach (var line in await app.ReadOutputAsync(BatchId))
            {
                Answers.Add(line.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!);
            }
        }

        tracer.ForceFlush();
        meter.ForceFlush();
    }

    /// <inheritdoc />
    public Task DisposeAsync() => _azurite.DisposeAsync();

    private sealed class NullOutput : ITestOutputHelper
    {
        public void WriteLine(string message)
        {
        }

        public void WriteLine(string format, params object[] args)
        {
        }
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, logs);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            logs.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            logs.Enqueue($"{category} {logLevel}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
