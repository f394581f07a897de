using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fanout.Core.Models;

namespace Fanout.Core.Storage;

/// <summary>
/// Reads the stored result line of each line of a chunk from its result segments (<see cref="ResultSegmentWriter"/>),
/// choosing between copies of a re-run line by <see cref="DuplicateResultRule"/>.
/// </summary>
internal sealed class ChunkResultGatherer(BlobContainerClient work, ResultSegmentCache segments)
{
    /// <summary>The stored result line of each line of a chunk (null where none is stored), one copy per line.</summary>
    public async Task<ReadOnlyMemory<byte>?[]> GatherAsync(string batchId, PreparedBatch prepared, int chunk, CancellationToken cancellationToken)
    {
        var start = chunk * prepared.ChunkSize;
        var count = prepared.CountOf(chunk);
        var lines = new ReadOnlyMemory<byte>?[count];
        var names = new List<string>();
        await foreach (var item in work.GetBlobsAsync(new GetBlobsOptions { Prefix = BatchBlobLayout.ResultPrefix(batchId, chunk) }, cancellationToken).ConfigureAwait(false))
        {
            names.Add(item.Name);
        }

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
