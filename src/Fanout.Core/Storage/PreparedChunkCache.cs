using System.Collections.Concurrent;
using Azure.Storage.Blobs;

namespace Fanout.Core.Storage;

/// <summary>
/// Prepared chunks and their line indexes, each downloaded once per process and kept in memory (up to 4,096 indexes and
/// 256 MB of chunks; when full, it starts again), so the activities of a chunk cost one storage read between them.
/// </summary>
internal sealed class PreparedChunkCache(BlobContainerClient work)
{
    private const int MaxCachedIndexes = 4096;
    private const long MaxCachedChunkBytes = 256L * 1024 * 1024;
    private readonly ConcurrentDictionary<string, Task<long[]>> _indexes = new();
    private readonly ConcurrentDictionary<string, Task<ReadOnlyMemory<byte>?>> _chunks = new();
    private long _cachedChunkBytes;

    /// <summary>The line offsets of a chunk (<see cref="LineIndexFormat"/>).</summary>
    public Task<long[]> GetIndexAsync(string batchId, int chunk, CancellationToken cancellationToken)
    {
        if (_indexes.Count > MaxCachedIndexes)
        {
            _indexes.Clear();
        }

        return LoadOnce.GetOrLoad(_indexes, BatchBlobLayout.IndexBlob(batchId, chunk), k => LoadIndexAsync(k, cancellationToken));
    }

    /// <summary>The whole content of a chunk.</summary>
    public async Task<ReadOnlyMemory<byte>?> GetChunkAsync(string batchId, int chunk, CancellationToken cancellationToken)
    {
        if (Interlocked.Read(ref _cachedChunkBytes) > MaxCachedChunkBytes)
        {
            _chunks.Clear();
            Interlocked.Exchange(ref _cachedChunkBytes, 0);
        }

        return await LoadOnce.GetOrLoad(_chunks, BatchBlobLayout.ChunkBlob(batchId, chunk), k => LoadChunkAsync(k, cancellationToken)).ConfigureAwait(false);
    }

    private async Task<ReadOnlyMemory<byte>?> LoadChunkAsync(string blobName, CancellationToken cancellationToken)
    {
        var content = (await work.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
        Interlocked.Add(ref _cachedChunkBytes, content.Length);
        return content;
    }

    private async Task<long[]> LoadIndexAsync(string blobName, CancellationToken cancellationToken)
    {
        var bytes = (await work.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
        return LineIndexFormat.Decode(bytes.Span);
    }
}
