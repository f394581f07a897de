using System.Collections.Concurrent;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>A plain generic host running the Fanout Durable backend with the test orchestrator and activity.</summary>
public sealed class DurableTestHost : IAsyncDisposable
{
    readonly IHost host;
    bool stopped;

    DurableTestHost(IHost host, ConcurrentQueue<string> problems)
    {
        this.host = host;
        Problems = problems;
        Client = host.Services.GetRequiredService<DurableTaskClient>();
        Probe = host.Services.GetRequiredService<ActivityProbe>();
    }

    /// <summary>Gets the Durable Task client connected to the host's client endpoint.</summary>
    public DurableTaskClient Client { get; }

    /// <summary>Gets the host's activity probe.</summary>
    public ActivityProbe Probe { get; }

    /// <summary>Gets the warnings and errors Durable Task (storage, client endpoint, worker) logged so far.</summary>
    public ConcurrentQueue<string> Problems { get; }

    /// <summary>Builds and starts a host on the given backend options.</summary>
    public static Task<DurableTestHost> StartAsync(
        DurableBackendOptions options, ITestOutputHelper output, TimeSpan activityDelay, CancellationToken cancellationToken) =>
        StartAsync(options, output, new ActivityProbe { Delay = activityDelay }, cancellationToken);

    /// <summary>Builds and starts a host on the given backend options, with the given probe.</summary>
    public static async Task<DurableTestHost> StartAsync(
        DurableBackendOptions options, ITestOutputHelper output, ActivityProbe probe, CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = new(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new XunitLoggerProvider(output));
        ConcurrentQueue<string> problems = new();
        builder.Logging.AddProvider(new ProblemRecorder(problems));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton(probe);
        builder.Services.AddFanoutDurableBackend(tasks =>
        {
            tasks.AddOrchestrator<SlidingWindowTestOrchestrator>();
            tasks.AddActivity<ProbeTestActivity>();
        }).Configure(options.CopyTo);

        IHost host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new DurableTestHost(host, problems);
    }

    /// <summary>Runs the sliding-window orchestrator to completion and returns its final state.</summary>
    public async Task<OrchestrationMetadata> RunAsync(SlidingWindowInput input, CancellationToken cancellationToken)
    {
        string instanceId = await ScheduleAsync(input, cancellationToken);
        return await Client.WaitForCompletionByPollingAsync(instanceId, TimeSpan.FromMilliseconds(100), cancellationToken);
    }

    /// <summary>Schedules the sliding-window orchestrator and returns its instance id.</summary>
    public Task<string> ScheduleAsync(SlidingWindowInput input, CancellationToken cancellationToken) =>
        Client.ScheduleNewOrchestrationInstanceAsync(nameof(SlidingWindowTestOrchestrator), input, cancellationToken);

    /// <summary>Stops the host gracefully (worker and orchestration service, client endpoint).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        stopped = true;
        await host.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!stopped)
        {
            using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(60));
            await StopAsync(timeout.Token);
        }

        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    /// <summary>Keeps Durable Task warnings and errors so a test can assert there were none.</summary>
    sealed class ProblemRecorder(ConcurrentQueue<string> problems) : ILoggerProvider, ILogger
    {
        string category = string.Empty;

        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("DurableTask", StringComparison.Ordinal) || categoryName.StartsWith("Microsoft.DurableTask", StringComparison.Ordinal)
                ? new ProblemRecorder(problems) { category = categoryName }
                : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                problems.Enqueue($"[{logLevel}] {category}: {formatter(state, exception)}");
            }
        }

        public void Dispose()
        {
        }
    }
}
