using Fanout.Durable;
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
        MaxConcurrentActivities = 200,
    };

    /// <summary>The in-memory backend.</summary>
    public static DurableBackendOptions Memory() => new()
    {
        Backend = DurableBackendKind.Memory,
        MaxConcurrentActivities = 200,
    };

    /// <summary>Copies every setting of <paramref name="from"/> onto the bound options <paramref name="to"/>.</summary>
    public static void CopyTo(this DurableBackendOptions from, DurableBackendOptions to)
    {
        foreach (var property in typeof(DurableBackendOptions).GetProperties())
        {
            property.SetValue(to, property.GetValue(from));
        }
    }
}
