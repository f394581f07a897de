using DurableTask.AzureStorage;
using DurableTask.Core;
using Fanout.Host.Durable.WorkItems;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Durable;

/// <summary>
/// Owns the orchestration service, the in-process gRPC sidecar (<see cref="SidecarHostBuilder"/>) and the parts
/// between them (<see cref="TrackingOrchestrationService"/> and <see cref="WorkItems"/>), and is the one place that
/// starts and stops them in order. Registered before the Durable Task worker, so it starts first and stops last:
/// drain (no new activities; running ones finish; orchestrations consume what was prefetched) → worker stops →
/// sidecar stops → unfinished work items go back to the queue → the service stops and releases its leases.
/// </summary>
internal sealed partial class DurableSidecarHostedService(
    DurableBackendOptions options,
    SidecarEndpoint endpoint,
    ILoggerFactory loggerFactory) : IHostedLifecycleService, IAsyncDisposable
{
    readonly ILogger logger = loggerFactory.CreateLogger<DurableSidecarHostedService>();
    readonly ShutdownSignals signals = new();
    readonly InFlightWorkItems inFlight = new();
    IOrchestrationService? inner;
    WorkItemReturns? returns;
    ActivityLockRenewer? renewer;
    TrackingOrchestrationService? service;
    IHost? sidecar;
    bool disposed;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Gets the orchestration service once started; <see cref="Direct.TaskHubWorkerDurableTaskWorker"/> runs on it.</summary>
    public IOrchestrationService? OrchestrationService => inner;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        inner = CreateOrchestrationService();

        // The queues, tables and containers must exist before anything (the client included) touches them.
        await inner.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

        // With TaskHubWorker the worker starts the service and runs the work items; the sidecar only serves the client.
        IOrchestrationService dispatched = options.Dispatch == DurableDispatchKind.TaskHubWorker
            ? inner
            : await StartTrackingAsync(inner, cancellationToken).ConfigureAwait(false);
        sidecar = SidecarHostBuilder.Build(dispatched, (IOrchestrationServiceClient)inner, endpoint, options.DurableTaskLogLevel, loggerFactory);
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

        signals.StopActivities();
        TimeSpan quietPeriod = (2 * options.MaxQueuePollingInterval) + TimeSpan.FromMilliseconds(500);
        if (!await inFlight.WaitUntilQuietAsync(options.DrainTimeout, quietPeriod, cancellationToken).ConfigureAwait(false))
        {
            int activities = inFlight.Activities.Count;
            int orchestrations = inFlight.Orchestrations.Count;
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
        signals.StopAll();
        if (sidecar is not null)
        {
            await sidecar.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        if (service is null || inner is null || returns is null)
        {
            // Not started, or TaskHubWorker dispatch: its worker stopped the service already.
            return;
        }

        // Work items the worker never answered would stay invisible until their timeout; hand them back now,
        // after the last fetch has ended so that nothing takes them again before the service stops.
        await signals.StopFetchingAsync().ConfigureAwait(false);
        if (renewer is not null)
        {
            await renewer.StopAsync().ConfigureAwait(false);
        }

        try
        {
            await service.DetachFetchesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.StopTimedOut(logger);
        }

        int activities = inFlight.Activities.Count;
        int orchestrations = inFlight.Orchestrations.Count;
        await inFlight.GiveBackAllAsync(returns).ConfigureAwait(false);
        if (activities + orchestrations > 0)
        {
            Log.Abandoned(logger, activities, orchestrations);
        }

        try
        {
            await inner.StopAsync(isForced: false).WaitAsync(cancellationToken).ConfigureAwait(false);
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
        if (disposed)
        {
            return;
        }

        disposed = true;
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

        await signals.StopFetchingAsync().ConfigureAwait(false);
        if (renewer is not null)
        {
            await renewer.DisposeAsync().ConfigureAwait(false);
            renewer = null;
        }

        service?.Dispose();
        service = null;
        (inner as IDisposable)?.Dispose();
        inner = null;
        signals.Dispose();
    }

    async Task<IOrchestrationService> StartTrackingAsync(IOrchestrationService inner, CancellationToken cancellationToken)
    {
        returns = new WorkItemReturns(inner, logger);
        bool azureStorage = options.Backend == DurableBackendKind.AzureStorage;
        service = new TrackingOrchestrationService(
            inner,
            options.MaxConcurrentActivities,
            options.MaxConcurrentOrchestrations,
            signals,
            inFlight,
            returns,
            azureStorage ? options.ActivityFetchers : 1)
        {
            Attempts = azureStorage && options.MaxEpisodeAttempts > 0
                ? new EpisodeAttempts(
                    new Azure.Storage.Blobs.BlobContainerClient(options.StorageConnectionString, options.TaskHubName.ToLowerInvariant() + "-attempts"),
                    options.MaxEpisodeAttempts,
                    logger)
                : null,
        };
        await inner.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (azureStorage)
        {
            // The sidecar never renews the locks of running activities.
            renewer = new ActivityLockRenewer(inner, inFlight.Activities, returns);
            renewer.Start(options.WorkItemVisibilityTimeout / 4);
        }

        return service;
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
