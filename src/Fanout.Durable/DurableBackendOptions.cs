namespace Fanout.Durable;

/// <summary>
/// Settings of the portable host's durable backend (<c>Fanout:Durable</c>), checked at start
/// (<see cref="DurableBackendServiceCollectionExtensions.AddFanoutDurableBackend"/>). Everything else is fixed in
/// <see cref="OrchestrationServiceFactory"/>, with the reason for each value.
/// </summary>
public sealed class DurableBackendOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Fanout:Durable";

    /// <summary>Gets or sets the backend; Azure Storage unless a test or a benchmark asks for memory.</summary>
    public DurableBackendKind Backend { get; set; } = DurableBackendKind.AzureStorage;

    /// <summary>Gets or sets the task hub's storage; the host defaults it to <c>Fanout:Storage:ConnectionString</c>.</summary>
    public string? StorageConnectionString { get; set; }

    /// <summary>Gets or sets the task hub: the prefix of its queues, tables and blob containers.</summary>
    public string TaskHubName { get; set; } = "FanoutHub";

    /// <summary>Gets or sets the number of control-queue partitions; 1-4 is right for one machine, more lets more hosts share a hub.</summary>
    public int PartitionCount { get; set; } = 2;

    /// <summary>Gets or sets how many activities (model calls) run at once; the host defaults it to at least the largest batch cap.</summary>
    public int? MaxConcurrentActivities { get; set; }

    /// <summary>
    /// Gets or sets how many starts in a row an orchestration may die in (its episode takes the host down, or fails in
    /// the backend) before its batch fails instead of being run again at every start; 0 turns the bound off.
    /// </summary>
    public int MaxEpisodeAttempts { get; set; } = 5;

    /// <summary>Gets or sets this process's name as a worker of the task hub; defaults to the machine name plus a worker slot (<see cref="WorkerIdentity"/>).</summary>
    public string? WorkerId { get; set; }
}
