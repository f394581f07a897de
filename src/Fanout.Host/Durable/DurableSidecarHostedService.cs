using System.Net;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Durable;

/// <summary>
/// Owns the orchestration service and the in-process gRPC sidecar (<see cref="TaskHubGrpcServer"/> on its own
/// loopback Kestrel). Registered before the Durable Task worker, so it starts first and stops last:
/// drain (no new activities; running ones finish; orchestrations consume what was prefetched) → worker stops →
/// sidecar stops → unfinished work items go back to the queue → the service stops and releases its leases.
/// </summary>
internal sealed partial class DurableSidecarHostedService(
    DurableBackendOptions options,
    SidecarEndpoint endpoint,
    ILoggerFactory loggerFactory) : IHostedLifecycleService, IAsyncDisposable
{
    readonly ILogger logger = loggerFactory.CreateLogger<DurableSidecarHostedService>();
    TrackingOrchestrationService? service;
    IHost? sidecar;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IOrchestrationService inner = CreateOrchestrationService();
        TimeSpan? renewInterval = options.Backend == DurableBackendKind.AzureStorage
            ? options.WorkItemVisibilityTimeout / 4
            : null;
        service = new TrackingOrchestrationService(
            inner,
            options.MaxConcurrentActivities,
            options.MaxConcurrentOrchestrations,
            renewInterval,
            logger,
            options.Backend == DurableBackendKind.AzureStorage ? options.ActivityFetchers : 1)
        {
            Attempts = options.Backend == DurableBackendKind.AzureStorage && options.MaxEpisodeAttempts > 0
                ? new EpisodeAttempts(
                    new Azure.Storage.Blobs.BlobContainerClient(options.StorageConnectionString, options.TaskHubName.ToLowerInvariant() + "-attempts"),
                    options.MaxEpisodeAttempts,
                    logger)
                : null,
        };

        // The queues, tables and containers must exist before anything (the client included) touches them.
        await inner.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await service.StartInnerAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

        sidecar = BuildSidecarHost(service, (IOrchestrationServiceClient)inner);
        try
        {
            await sidecar.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"The Durable Task sidecar could not listen on {endpoint.Address} (port taken?).", ex);
        }

        Log.Started(logger, options.Backend, options.TaskHubName, endpoint.Address);
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // Runs before any hosted service stops, so the worker is still connected: running activities report
        // back, and orchestration episodes consume what Azure Storage has prefetched (it would otherwise stay
        // invisible for five minutes). Pointless for the memory backend: nothing outlives the process.
        if (service is null || options.Backend != DurableBackendKind.AzureStorage || options.DrainTimeout <= TimeSpan.Zero)
        {
            return;
        }

        service.StopActivities();
        TimeSpan quietPeriod = (2 * options.MaxQueuePollingInterval) + TimeSpan.FromMilliseconds(500);
        if (!await service.WaitForDrainAsync(options.DrainTimeout, quietPeriod, cancellationToken).ConfigureAwait(false))
        {
            int activities = service.InFlightActivities;
            int orchestrations = service.InFlightOrchestrations;
            if (activities + orchestrations > 0)
            {
                Log.DrainTimedOut(logger, options.DrainTimeout, activities, orchestrations);
            }
            else
            {
                Log.DrainEndedBeforeQuiet(logger, options.DrainTimeout, quietPeriod);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (service is null)
        {
            return;
        }

        service.StopAll();
        if (sidecar is not null)
        {
            await sidecar.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        // Work items the worker never answered would stay invisible until their timeout; hand them back now,
        // after the last fetch has ended so that nothing takes them again before the service stops.
        try
        {
            await service.StopFetchingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.StopTimedOut(logger);
        }

        int activities = service.InFlightActivities;
        int orchestrations = service.InFlightOrchestrations;
        await service.AbandonOutstandingAsync().ConfigureAwait(false);
        if (activities + orchestrations > 0)
        {
            Log.Abandoned(logger, activities, orchestrations);
        }

        try
        {
            await service.StopInnerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.StopTimedOut(logger);
        }

        Log.Stopped(logger, options.Backend, options.TaskHubName);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (sidecar is not null)
        {
            if (sidecar is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                sidecar.Dispose();
            }

            sidecar = null;
        }

        if (service is not null)
        {
            await service.DisposeAsync().ConfigureAwait(false);
            service = null;
        }
    }

    IOrchestrationService CreateOrchestrationService()
    {
        if (options.Backend == DurableBackendKind.Memory)
        {
            return new InMemoryOrchestrationService(loggerFactory);
        }

        AzureStorageOrchestrationServiceSettings settings = new()
        {
            TaskHubName = options.TaskHubName,
            StorageAccountClientProvider = new StorageAccountClientProvider(options.StorageConnectionString!),
            PartitionCount = options.PartitionCount,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
            ControlQueueBatchSize = options.ControlQueueBatchSize,
            WorkItemQueueVisibilityTimeout = options.WorkItemVisibilityTimeout,
            ControlQueueVisibilityTimeout = options.ControlQueueVisibilityTimeout,
            ExtendedSessionsEnabled = options.ExtendedSessions,
            ExtendedSessionIdleTimeout = options.ExtendedSessionIdleTimeout,
            WorkerId = Scale.WorkerIdentity.Of(options),
            LeaseInterval = options.LeaseInterval,
            LeaseAcquireInterval = options.LeaseAcquireInterval,
            LeaseRenewInterval = options.LeaseAcquireInterval,

            // The app lease guards blue/green Functions deployments; a lone host would only wait on it after a crash.
            UseAppLease = false,
            LoggerFactory = loggerFactory,
        };
        return new AzureStorageOrchestrationService(settings);
    }

    IHost BuildSidecarHost(TrackingOrchestrationService orchestrationService, IOrchestrationServiceClient client)
    {
        // A bare HostBuilder, not Host.CreateDefaultBuilder: no appsettings, no environment variables and,
        // above all, no console lifetime of its own, so Ctrl+C stops it only through our ordered shutdown.
        return new HostBuilder()
            .ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
                logging.SetMinimumLevel(options.DurableTaskLogLevel);

                // Kestrel and gRPC log every call at Information: several lines per activity.
                LogLevel transportLevel = options.DurableTaskLogLevel > LogLevel.Warning ? options.DurableTaskLogLevel : LogLevel.Warning;
                logging.AddFilter("Microsoft.AspNetCore", transportLevel);
                logging.AddFilter("Grpc", transportLevel);
            })
            .ConfigureServices(services => services.AddSingleton<IHostLifetime, ExternallyControlledLifetime>())
            .ConfigureWebHost(
                web => web
                    .UseKestrel(kestrel => kestrel.Listen(
                        IPAddress.Loopback, endpoint.Port, listen => listen.Protocols = HttpProtocols.Http2))
                    .ConfigureServices(services =>
                    {
                        services.AddGrpc();
                        services.AddSingleton<IOrchestrationService>(orchestrationService);
                        services.AddSingleton(client);
                        services.AddSingleton<TaskHubGrpcServer>();
                    })
                    .Configure(app =>
                    {
                        app.UseRouting();
                        app.UseEndpoints(endpoints => endpoints.MapGrpcService<TaskHubGrpcServer>());
                    }),
                webHostOptions => webHostOptions.SuppressEnvironmentConfiguration = true)
            .Build();
    }

    /// <summary>An <see cref="IHostLifetime"/> that leaves start and stop to the code that owns the host.</summary>
    sealed class ExternallyControlledLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Sends the sidecar host's logs to the application's logger factory, without owning it.</summary>
    sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }

    static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Durable Task backend {Backend} started: task hub {TaskHub}, sidecar {Address}")]
        public static partial void Started(ILogger logger, DurableBackendKind backend, string taskHub, Uri address);

        [LoggerMessage(2, LogLevel.Information, "Durable Task backend {Backend} stopped: task hub {TaskHub}")]
        public static partial void Stopped(ILogger logger, DurableBackendKind backend, string taskHub);

        [LoggerMessage(3, LogLevel.Warning, "Drain did not finish within {Timeout}: {Activities} activities and {Orchestrations} orchestration episodes still running go back to the queue; messages Azure Storage prefetched stay invisible for up to 5 minutes")]
        public static partial void DrainTimedOut(ILogger logger, TimeSpan timeout, int activities, int orchestrations);

        [LoggerMessage(4, LogLevel.Warning, "Handed {Activities} unfinished activities and {Orchestrations} orchestration episodes back to the queue")]
        public static partial void Abandoned(ILogger logger, int activities, int orchestrations);

        [LoggerMessage(6, LogLevel.Information, "Drain stopped after {Timeout}, before the control queues had been quiet for {QuietPeriod}; a message fetched just now may stay invisible for up to 5 minutes")]
        public static partial void DrainEndedBeforeQuiet(ILogger logger, TimeSpan timeout, TimeSpan quietPeriod);

        [LoggerMessage(5, LogLevel.Warning, "The orchestration service did not stop before the shutdown timeout")]
        public static partial void StopTimedOut(ILogger logger);
    }
}
