using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.Logging;

namespace Fanout.Durable;

/// <summary>Creates the orchestration service from the options; every other setting is fixed here, with its reason.</summary>
internal static class OrchestrationServiceFactory
{
    /// <summary>
    /// How long a dequeued activity stays invisible. After a crash the calls that were in flight run again once it
    /// passes; the dispatcher renews the locks of running calls, so long calls are not run twice.
    /// </summary>
    internal static readonly TimeSpan WorkItemVisibilityTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long prefetched control-queue messages stay invisible. After a crash it bounds how long the dead host's
    /// orchestrations stall (Azure Storage's own default is 5 minutes; the lease takeover takes 20 s anyway). While a
    /// host runs, a message held longer (waiting behind a busy episode) reappears and is delivered twice: at 10 s,
    /// EmbeddedCrashTests' uninterrupted run on a loaded 2-core machine (load average 20) got 252 duplicates, split-brain
    /// episodes and a chunk that never finished. It stays under three quarters of <see cref="WorkItemVisibilityTimeout"/>,
    /// so an episode that is run again sends its calls while the dead host's copies are still invisible.
    /// </summary>
    internal static readonly TimeSpan ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(20);

    /// <summary>A dead host's partitions move within the lease plus one acquire interval (20 s, also under 3/4 of the above).</summary>
    internal static readonly TimeSpan LeaseInterval = TimeSpan.FromSeconds(15);

    /// <summary>How often leases are renewed, claimed and balanced.</summary>
    internal static readonly TimeSpan LeaseAcquireInterval = TimeSpan.FromSeconds(5);

    /// <summary>Orchestration episodes at once: chunk orchestrations of running batches (measured: more did not help on 2 cores).</summary>
    internal const int MaxConcurrentOrchestrations = 20;

    /// <summary>The activity limit: <see cref="DurableBackendOptions.MaxConcurrentActivities"/>, 200 when unset.</summary>
    public static int MaxConcurrentActivities(DurableBackendOptions options) => options.MaxConcurrentActivities ?? 200;

    /// <summary>Creates the service (not started) for <paramref name="options"/>.</summary>
    public static IOrchestrationService Create(DurableBackendOptions options, ILoggerFactory loggerFactory)
    {
        if (options.Backend == DurableBackendKind.Memory)
        {
            return new InMemoryOrchestrationService(loggerFactory);
        }

        return new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHubName,
            StorageAccountClientProvider = new StorageAccountClientProvider(
                StorageServiceClientProvider.ForBlob(options.StorageConnectionString!, AzureSdkDiagnostics.Quiet(new BlobClientOptions())),
                StorageServiceClientProvider.ForQueue(options.StorageConnectionString!, AzureSdkDiagnostics.Quiet(new QueueClientOptions())),
                StorageServiceClientProvider.ForTable(options.StorageConnectionString!, AzureSdkDiagnostics.Quiet(new TableClientOptions()))),
            PartitionCount = options.PartitionCount,

            // Idle queues are polled at least once a second (measured on 2 cores: longer back-offs stall small batches).
            MaxQueuePollingInterval = TimeSpan.FromSeconds(1),
            MaxConcurrentTaskActivityWorkItems = MaxConcurrentActivities(options),
            MaxConcurrentTaskOrchestrationWorkItems = MaxConcurrentOrchestrations,
            ControlQueueBatchSize = 32,
            WorkItemQueueVisibilityTimeout = WorkItemVisibilityTimeout,
            ControlQueueVisibilityTimeout = ControlQueueVisibilityTimeout,

            // An episode does not reload the instance's whole history between episodes.
            ExtendedSessionsEnabled = true,
            ExtendedSessionIdleTimeout = TimeSpan.FromSeconds(30),
            WorkerId = WorkerIdentity.Of(options),
            LeaseInterval = LeaseInterval,
            LeaseAcquireInterval = LeaseAcquireInterval,
            LeaseRenewInterval = LeaseAcquireInterval,

            // The app lease guards blue/green Functions deployments; a lone host would only wait on it after a crash.
            UseAppLease = false,
            LoggerFactory = loggerFactory,
        });
    }
}
