using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Durable;

/// <summary>Which Durable Task orchestration service backs the in-process sidecar.</summary>
public enum DurableBackendKind
{
    /// <summary>Azure Storage queues, tables and blobs (Azurite locally): durable, resumes after a crash.</summary>
    AzureStorage,

    /// <summary>In-memory, nothing survives the process: for tests and benchmarks only.</summary>
    Memory,
}

/// <summary>Settings of the portable host's Durable Task backend: storage, task hub, tuning.</summary>
public sealed class DurableBackendOptions : IValidatableObject
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Fanout:Durable";

    /// <summary>Gets or sets the backend; Azure Storage unless a test asks for memory.</summary>
    public DurableBackendKind Backend { get; set; } = DurableBackendKind.AzureStorage;

    /// <summary>Gets or sets the storage connection string; required for <see cref="DurableBackendKind.AzureStorage"/>.</summary>
    public string? StorageConnectionString { get; set; }

    /// <summary>Gets or sets the task hub: the prefix of its queues, tables and blob containers.</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "A task hub name is 3-45 letters or digits and starts with a letter.")]
    public string TaskHubName { get; set; } = "FanoutHub";

    /// <summary>Gets or sets what runs the orchestrators and activities: the gRPC sidecar (default) or, as a spike, DurableTask.Core's TaskHubWorker.</summary>
    public DurableDispatchKind Dispatch { get; set; } = DurableDispatchKind.Sidecar;

    /// <summary>Gets or sets the number of control-queue partitions; 1-4 is right for one machine.</summary>
    [Range(1, 16)]
    public int PartitionCount { get; set; } = 2;

    /// <summary>Gets or sets the longest back-off between empty queue polls; keep it at or under a second.</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many activities run at once; at least the largest batch concurrency cap.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentActivities { get; set; } = 200;

    /// <summary>
    /// Gets or sets how many activity work-item fetches run against Azure Storage at once. Each fetch is one queue
    /// round trip for one message, and the sidecar fetches one at a time, so with 1 activities start no faster
    /// than one per round trip. Each fetch also polls the empty queue (up to once a second when idle), and every
    /// poll is a billed storage transaction: 2 by default (1, 3 and 8 measured the same on Azurite).
    /// </summary>
    [Range(1, 64)]
    public int ActivityFetchers { get; set; } = 2;

    /// <summary>
    /// Gets or sets whether an orchestration stays in memory between episodes (Azure Storage "extended sessions"), so
    /// that an episode does not reload the instance's whole history from the History table first.
    /// </summary>
    public bool ExtendedSessions { get; set; } = true;

    /// <summary>Gets or sets how long an extended session waits for its instance's next message before it is released.</summary>
    public TimeSpan ExtendedSessionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many orchestration episodes run at once.</summary>
    [Range(1, 1_000)]
    public int MaxConcurrentOrchestrations { get; set; } = 20;

    /// <summary>Gets or sets how many control-queue messages are fetched per poll.</summary>
    [Range(1, 32)]
    public int ControlQueueBatchSize { get; set; } = 32;

    /// <summary>
    /// Gets or sets how long a dequeued activity message stays invisible: after a crash, the calls that were in flight
    /// run again once it expires, and until then they hold their batch's window. Locks of running activities are
    /// renewed every quarter of it, so long calls are not run twice (on a real account that is one queue transaction
    /// per running call every few seconds).
    /// </summary>
    public TimeSpan WorkItemVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long a fetched control-queue message stays invisible. Azure Storage prefetches these into memory;
    /// after a crash they reappear only when this expires, so it bounds how long a killed host's batches stall
    /// (Azure Storage's own default is 5 minutes). Duplicate deliveries are de-duplicated by the backend.
    /// </summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how many times in a row an orchestration's episode may fail (the host crashing while it runs, or
    /// the backend failing it) before the batch is terminated as failed instead of being run again at every start;
    /// 0 turns the bound off.
    /// </summary>
    [Range(0, 1_000)]
    public int MaxEpisodeAttempts { get; set; } = 5;

    /// <summary>Gets or sets how long a graceful stop waits for in-flight activities before handing them back to the queue.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the lease owner name; defaults to the machine name plus the process id, so every host process is its
    /// own worker for the partition manager (several hosts may share a task hub, on one machine or many). A restarted
    /// host is a new worker: it takes the partitions of the one it replaces when their leases expire
    /// (<see cref="LeaseInterval"/>), as any surviving host would.
    /// </summary>
    public string? WorkerId { get; set; }

    /// <summary>
    /// Gets or sets how long a partition lease lasts without renewal: a dead host's partitions are taken over by
    /// another host (or its own restart) within this plus <see cref="LeaseAcquireInterval"/>. Keep the sum under three
    /// quarters of <see cref="WorkItemVisibilityTimeout"/>, so that the orchestrations resume before the calls the
    /// dead host had in flight are run again (see the README, "Scaling out").
    /// </summary>
    public TimeSpan LeaseInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how often a host reads the partition table to renew, claim and balance its leases. A read that
    /// fails or takes over 2 s is tried again at once, so a lease survives a few slow reads on a loaded machine.
    /// </summary>
    public TimeSpan LeaseAcquireInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the minimum level of Durable Task, sidecar and gRPC logs.</summary>
    public LogLevel DurableTaskLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>Gets or sets a fixed loopback port for the gRPC sidecar; null picks a free one.</summary>
    [Range(1, 65_535)]
    public int? SidecarPort { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Backend == DurableBackendKind.AzureStorage && string.IsNullOrWhiteSpace(StorageConnectionString))
        {
            yield return new ValidationResult(
                $"{nameof(StorageConnectionString)} is required for the {DurableBackendKind.AzureStorage} backend " +
                "(start Azurite with AzuriteProcess when none is configured).",
                [nameof(StorageConnectionString)]);
        }

        if (MaxQueuePollingInterval <= TimeSpan.Zero || MaxQueuePollingInterval > TimeSpan.FromSeconds(30))
        {
            yield return new ValidationResult("MaxQueuePollingInterval must be between 0 and 30 s.", [nameof(MaxQueuePollingInterval)]);
        }

        if (WorkItemVisibilityTimeout < TimeSpan.FromSeconds(8))
        {
            yield return new ValidationResult("WorkItemVisibilityTimeout must be at least 8 s.", [nameof(WorkItemVisibilityTimeout)]);
        }

        if (ControlQueueVisibilityTimeout < TimeSpan.FromSeconds(5))
        {
            yield return new ValidationResult("ControlQueueVisibilityTimeout must be at least 5 s.", [nameof(ControlQueueVisibilityTimeout)]);
        }

        if (ExtendedSessionIdleTimeout <= TimeSpan.Zero || ExtendedSessionIdleTimeout > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult("ExtendedSessionIdleTimeout must be between 0 and 10 minutes.", [nameof(ExtendedSessionIdleTimeout)]);
        }

        // After a crash, an episode whose calls were sent but whose history was not saved runs again (when its messages
        // reappear, or when its partition is taken over) and sends those calls a second time. That must happen while
        // the calls the dead host had in flight are still invisible, or the copies run next to them above the cap.
        TimeSpan rerunAfter = WorkItemVisibilityTimeout * 3 / 4;
        if (ControlQueueVisibilityTimeout >= rerunAfter || LeaseInterval + LeaseAcquireInterval >= rerunAfter)
        {
            yield return new ValidationResult(
                "ControlQueueVisibilityTimeout, and LeaseInterval + LeaseAcquireInterval, must each be under three quarters of WorkItemVisibilityTimeout.",
                [nameof(WorkItemVisibilityTimeout)]);
        }

        if (LeaseAcquireInterval < TimeSpan.FromSeconds(1) || LeaseInterval < 2 * LeaseAcquireInterval || LeaseInterval > TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult("LeaseAcquireInterval must be at least 1 s, and LeaseInterval at least twice that and at most 1 minute.", [nameof(LeaseInterval)]);
        }

        if (DrainTimeout < TimeSpan.Zero)
        {
            yield return new ValidationResult("DrainTimeout cannot be negative.", [nameof(DrainTimeout)]);
        }
    }
}
