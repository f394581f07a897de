using System.Buffers;
using System.Text.Json;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Storage;

/// <summary>
/// Streams a JSONL input through validation into prepared chunks (one validated record per line, plus a byte-offset
/// index per chunk) so each prompt activity can read its own line by index. Holds one chunk in memory at a time.
/// </summary>
public sealed class BatchPreparer(BatchStore store, IOptions<BatchOptions> options)
{
    /// <summary>Validates and stores <paramref name="input"/>; throws <see cref="BatchLimitExceededException"/> past the limits.</summary>
    public Task<PreparedBatch> PrepareAsync(string batchId, Stream input, int chunkSize, CancellationToken cancellationToken)
        => PrepareAsync(batchId, input, chunkSize, null, cancellationToken);

    /// <summary>As above, for a batch whose lines must all match the OpenAI <paramref name="endpoint"/> (null = chat completions).</summary>
    public async Task<PreparedBatch> PrepareAsync(string batchId, Stream input, int chunkSize, string? endpoint, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var readerOptions = new JsonlReaderOptions { MaxLineBytes = o.MaxLineBytes, MaxLines = o.MaxLines, MaxTotalBytes = o.MaxBytes, Endpoint = endpoint };
        await store.EnsureContainersAsync().ConfigureAwait(false);

        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var offsets = new List<long>(chunkSize + 1) { 0 };
        var total = 0;
        var invalid = 0;
        var chunk = 0;
        var pending = new List<Task>();
        await foreach (var line in JsonlBatchReader.ReadAsync(input, readerOptions, cancellationToken).ConfigureAwait(false))
        {
            using (var w = new Utf8JsonWriter(buffer))
            {
                PreparedLine.Write(w, line);
            }

            buffer.Write("\n"u8);
            offsets.Add(buffer.WrittenCount);
            total++;
            if (!line.IsValid)
            {
                invalid++;
            }

            if (offsets.Count == chunkSize + 1)
            {
                pending.Add(store.WritePreparedChunkAsync(batchId, chunk++, buffer.WrittenMemory.ToArray(), offsets.ToArray(), cancellationToken));
                buffer.ResetWrittenCount();
                offsets.Clear();
                offsets.Add(0);
                if (pending.Count >= 4)
                {
                    await Task.WhenAll(pending).ConfigureAwait(false);
                    pending.Clear();
                }
            }
        }

        if (offsets.Count > 1)
        {
            pending.Add(store.WritePreparedChunkAsync(batchId, chunk, buffer.WrittenMemory.ToArray(), offsets.ToArray(), cancellationToken));
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        return new PreparedBatch(total, invalid, chunkSize);
    }
}
