namespace Fanout.Durable;

/// <summary>Which Durable Task orchestration service the portable host runs on.</summary>
public enum DurableBackendKind
{
    /// <summary>Azure Storage queues, tables and blobs (Azurite locally): durable, resumes after a crash.</summary>
    AzureStorage,

    /// <summary>In-memory, nothing survives the process: for tests and benchmarks only.</summary>
    Memory,
}
