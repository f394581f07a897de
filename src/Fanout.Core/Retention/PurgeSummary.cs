namespace Fanout.Core.Retention;

/// <summary>What one purge pass did.</summary>
/// <param name="Batches">Finished batches whose history and work blobs were purged.</param>
/// <param name="Instances">Orchestration instances purged (batches and their chunks).</param>
public sealed record PurgeSummary(int Batches, int Instances);
