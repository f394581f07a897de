using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Fanout.Core.Models;

namespace Fanout.Core.Storage;

/// <summary>
/// Gathers every chunk's result segments into input order (filling lines that never ran with an error line), then
/// writes output.jsonl, errors.jsonl and batch.json. Safe to run again after a crash: each step is idempotent and
/// output.jsonl only appears when complete.
/// </summary>
internal sealed class BatchFinalizer(BatchStore store, ChunkResultGatherer results, BlobContainerClient output)
{
    /// <summary>Finalizes a batch (see <see cref="BatchStore.FinalizeAsync"/>).</summary>
    public async Task FinalizeAsync(string batchId, PreparedBatch prepared, string missingCode, string missingMessage, byte[] batchJson, CancellationToken cancellationToken)
    {
        var outputBlob = output.GetBlockBlobClient(BatchBlobLayout.OutputBlob(batchId, BatchBlobLayout.OutputFile));
        var errorsBlob = output.GetBlockBlobClient(BatchBlobLayout.OutputBlob(batchId, BatchBlobLayout.ErrorsFile));
        var options = new BlockBlobOpenWriteOptions { BufferSize = 4 * 1024 * 1024 };
        await using (var outStream = await outputBlob.OpenWriteAsync(overwrite: true, options, cancellationToken).ConfigureAwait(false))
        await using (var errStream = await errorsBlob.OpenWriteAsync(overwrite: true, options, cancellationToken).ConfigureAwait(false))
        {
            var listed = await results.ListAsync(batchId, cancellationToken).ConfigureAwait(false);
            for (var chunk = 0; chunk < prepared.ChunkCount; chunk++)
            {
                var content = await CommitChunkAsync(batchId, prepared, chunk, listed, missingCode, missingMessage, cancellationToken).ConfigureAwait(false);
                await outStream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                var span = content;
                while (span.Length > 0)
                {
                    var nl = span.Span.IndexOf((byte)'\n');
                    var line = nl < 0 ? span : span[..(nl + 1)];
                    if (DuplicateResultRule.IsErrorLine(line))
                    {
                        await errStream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                    }

                    span = span[line.Length..];
                }
            }
        }

        await output.GetBlobClient(BatchBlobLayout.OutputBlob(batchId, BatchBlobLayout.BatchFile))
            .UploadAsync(BinaryData.FromBytes(batchJson), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReadOnlyMemory<byte>> CommitChunkAsync(string batchId, PreparedBatch prepared, int chunk, BatchSegments listed, string missingCode, string missingMessage, CancellationToken cancellationToken)
    {
        var start = chunk * prepared.ChunkSize;
        var lines = await results.GatherAsync(prepared, chunk, listed, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<PreparedLine>? preparedLines = null;
        var content = new MemoryStream();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] is { } line)
            {
                content.Write(line.Span);
            }
            else
            {
                preparedLines ??= await store.ReadPreparedChunkAsync(batchId, chunk, cancellationToken).ConfigureAwait(false);
                content.Write(OutputLines.Error(batchId, start + i, preparedLines[i].CustomId, missingCode, missingMessage));
            }
        }

        return content.GetBuffer().AsMemory(0, (int)content.Length);
    }
}
