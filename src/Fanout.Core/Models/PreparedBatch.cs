namespace Fanout.Core.Models;

/// <summary>The shape of a prepared (validated, chunked) batch.</summary>
public sealed record PreparedBatch(int Total, int Invalid, int ChunkSize, string? FatalErrorCode = null, string? FatalErrorMessage = null)
{
    /// <summary>Number of chunks.</summary>
    public int ChunkCount => Total == 0 ? 0 : ((Total - 1) / ChunkSize) + 1;

    /// <summary>Lines in chunk <paramref name="chunk"/>.</summary>
    public int CountOf(int chunk) => Math.Min(ChunkSize, Total - (chunk * ChunkSize));
}
