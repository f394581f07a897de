namespace Fanout.Core.Upstream;

/// <summary>Input of <see cref="MissingLinesActivity"/>: one chunk of a batch.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="ChunkSize">Lines per prepared chunk.</param>
/// <param name="Chunk">The chunk.</param>
/// <param name="Count">Lines in the chunk.</param>
public sealed record MissingLinesInput(string BatchId, int ChunkSize, int Chunk, int Count);
