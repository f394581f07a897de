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
    /// passes: when the dead host held every call of a batch's window, the restarted host waits this long for them (at
    /// 30 s, a batch stalled up to 30 s per crash). Durable Task renews the lock of a running call every 5 s whatever
    /// this is (30 s before it expires, checked every 5 s), so long calls keep their lock; a renewal late by more than
    /// 7 s (a starved machine) lets a copy run, which the prompt activity's call gate holds behind the first when
    /// both are on one host.
    /// </summary>
    internal static readonly TimeSpan WorkItemVisibilityTimeout = TimeSpan.FromSeconds(12);

    /// <summary>
    /// How long dequeued control-queue messages stay invisible. After a crash it bounds how long the dead host's
    /// orchestrations stall when it held their next messages (Azure Storage's own default is 5 minutes; at 20 s a
    /// batch stalled up to 22 s per crash). Durable Task renews only the messages of a running episode: a message that
    /// waits longer than this in the host's buffer, or behind a running episode of its session, reappears and is
    /// delivered twice (at 10 s, EmbeddedCrashTests' uninterrupted run on a machine at load average 20 got 252
    /// duplicates). 12 s leaves 7 s over an episode's 5 s renewal cadence.
    /// </summary>
    internal static readonly TimeSpan ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(12);

    /// <summary>
    /// A dead host's partitions move to another running host within the lease plus one acquire interval (20 s; a
    /// host restarted on the same machine renews its predecessor's leases at once, see <see cref="WorkerIdentity"/>).
    /// The dead host's calls reappear before that and run on the other hosts; their answers wait in the partition's
    /// queue for its new owner.
    /// </summary>
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

        var storage = options.StorageConnectionString!;
        return new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHubName,
            StorageAccountClientProvider = new StorageAccountClientProvider(
                StorageServiceClientProvider.ForBlob(storage, AzureSdkDiagnostics.Quiet(new BlobClientOptions())),
                StorageServiceClientProvider.ForQueue(storage, AzureSdkDiagnostics.Quiet(new QueueClientOptions())),
                StorageServiceClientProvider.ForTable(storage, AzureSdkDiagnostics.Quiet(new TableClientOptions()))),
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
