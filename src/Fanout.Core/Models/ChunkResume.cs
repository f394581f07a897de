namespace Fanout.Core.Models;

/// <summary>Where a batch orchestration that continued as new picks up: the next chunk to start and the counts so far.</summary>
public sealed record ChunkResume(int NextChunk, BatchCounts Counts);
