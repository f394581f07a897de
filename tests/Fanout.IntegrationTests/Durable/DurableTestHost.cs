using Fanout.Host.Durable;
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

    DurableTestHost(IHost host)
    {
        this.host = host;
        Client = host.Services.GetRequiredService<DurableTaskClient>();
        Probe = host.Services.GetRequiredService<ActivityProbe>();
    }

    /// <summary>Gets the Durable Task client connected to the host's sidecar.</summary>
    public DurableTaskClient Client { get; }

    /// <summary>Gets the host's activity probe.</summary>
    public ActivityProbe Probe { get; }

    /// <summary>Builds and starts a host on the given backend options.</summary>
    public static async Task<DurableTestHost> StartAsync(
        DurableBackendOptions options, ITestOutputHelper output, TimeSpan activityDelay, CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = new(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new XunitLoggerProvider(output));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton(new ActivityProbe { Delay = activityDelay });
        builder.Services.AddFanoutDurableBackend(options, tasks =>
        {
            tasks.AddOrchestrator<SlidingWindowTestOrchestrator>();
            tasks.AddActivity<ProbeTestActivity>();
        });

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

        return new DurableTestHost(host);
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

    /// <summary>Stops the host gracefully (drain, worker, sidecar, orchestration service).</summary>
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
}
