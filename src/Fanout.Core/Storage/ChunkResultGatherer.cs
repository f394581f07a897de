using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fanout.Core.Models;

namespace Fanout.Core.Storage;

/// <summary>
/// Reads the stored result line of each line of a chunk from its result segments (<see cref="ResultSegmentWriter"/>),
/// choosing between copies of a re-run line by <see cref="DuplicateResultRule"/>.
/// </summary>
/// <remarks>
/// A batch's segments are listed <b>once</b> (<see cref="ListAsync"/>), then read chunk by chunk: a blob listing costs
/// the storage a scan of every blob it holds (Azurite filters a prefix with a regular expression over its whole blob
/// table), so one listing per chunk made a batch's end cost chunks × blobs, which grew with the square of its size.
/// </remarks>
internal sealed class ChunkResultGatherer(BlobContainerClient work, ResultSegmentCache segments)
{
    /// <summary>The names of every result segment of a batch, by chunk, from one listing.</summary>
    public async Task<BatchSegments> ListAsync(string batchId, CancellationToken cancellationToken)
    {
        var byChunk = new Dictionary<int, List<string>>();
        var prefix = BatchBlobLayout.ResultsPrefix(batchId);
        await foreach (var item in work.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (BatchBlobLayout.TryParseResultChunks(batchId, item.Name, out var first, out var last))
            {
                // A segment of a group commit that spanned several chunks serves each of them.
                for (var chunk = first; chunk <= last; chunk++)
                {
                    if (!byChunk.TryGetValue(chunk, out var names))
                    {
                        byChunk[chunk] = names = [];
                    }

                    names.Add(item.Name);
                }
            }
        }

        return new BatchSegments(byChunk);
    }

    /// <summary>The stored result line of each line of a chunk (null where none is stored), one copy per line, from one listing of the batch.</summary>
    public async Task<ReadOnlyMemory<byte>?[]> GatherAsync(string batchId, PreparedBatch prepared, int chunk, CancellationToken cancellationToken)
    {
        // The batch's listing, not the chunk folder's: a segment that spans chunks is filed under its first one.
        var listed = await ListAsync(batchId, cancellationToken).ConfigureAwait(false);
        return await GatherAsync(prepared, chunk, listed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stored result line of each line of a chunk, from the segments of a batch listed before.</summary>
    public Task<ReadOnlyMemory<byte>?[]> GatherAsync(PreparedBatch prepared, int chunk, BatchSegments listed, CancellationToken cancellationToken)
        => GatherAsync(prepared, chunk, [.. listed.Of(chunk)], cancellationToken);

    private async Task<ReadOnlyMemory<byte>?[]> GatherAsync(PreparedBatch prepared, int chunk, List<string> names, CancellationToken cancellationToken)
    {
        var start = chunk * prepared.ChunkSize;
        var count = prepared.CountOf(chunk);
        var lines = new ReadOnlyMemory<byte>?[count];

        // Sorted names make the choice between two copies of a re-run line the same on every finalize attempt.
        names.Sort(StringComparer.Ordinal);
        // The listing is the truth (segments written by other processes, or before a crash, are only there); a segment
        // this process wrote or read before is read from memory (names are unique and never rewritten).
        var loaded = await Task.WhenAll(names.Select(async n =>
        {
            if (segments.TryGet(n, out var held))
            {
                return held;
            }

            var downloaded = (await work.GetBlobClient(n).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToArray();
            segments.Remember(n, downloaded);
            return downloaded;
        })).ConfigureAwait(false);
        foreach (var segment in loaded)
        {
            foreach (var (index, line) in ResultSegmentWriter.Decode(segment))
            {
                var local = index - start;
                if (local >= 0 && local < count && DuplicateResultRule.Replaces(lines[local], line))
                {
                    lines[local] = line;
                }
            }
        }

        return lines;
    }
}
