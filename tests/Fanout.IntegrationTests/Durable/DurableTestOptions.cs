using Fanout.Host.Durable;
using Fanout.IntegrationTests.Infrastructure;

namespace Fanout.IntegrationTests.Durable;

/// <summary>Backend options for tests: each Azure Storage set gets its own task hub.</summary>
public static class DurableTestOptions
{
    /// <summary>Azure Storage on the given (Azurite) account, on a task hub no other test uses.</summary>
    public static DurableBackendOptions AzureStorage(string connectionString) => new()
    {
        Backend = DurableBackendKind.AzureStorage,
        StorageConnectionString = connectionString,
        TaskHubName = AzuriteFixture.UniqueTaskHubName(),
        PartitionCount = 2,
        MaxQueuePollingInterval = TimeSpan.FromSeconds(1),
        MaxConcurrentActivities = 200,
        MaxConcurrentOrchestrations = 20,
    };

    /// <summary>The in-memory backend.</summary>
    public static DurableBackendOptions Memory() => new()
    {
        Backend = DurableBackendKind.Memory,
        MaxConcurrentActivities = 200,
        MaxConcurrentOrchestrations = 20,
    };
}
