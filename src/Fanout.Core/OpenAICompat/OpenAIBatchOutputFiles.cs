using Fanout.Core.Storage;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// A finished batch's output and error files (<c>file-{batch id}-output</c>, <c>-error</c>): views of its ordered
/// <c>output.jsonl</c> / <c>errors.jsonl</c> in the batch store, never copies. The error file is <c>errors.jsonl</c>; the
/// output file is <c>output.jsonl</c> without those lines (the same bytes), so its size is the difference of the two.
/// Deleting one leaves <c>_deleted/{file id}</c> in <see cref="OpenAIFilesContainer"/>; the batch's own results stay.
/// </summary>
public sealed class OpenAIBatchOutputFiles(BatchStore store, OpenAIFilesContainer container)
{
    private const string DeletedPrefix = "_deleted/";
    private const string OutputBlob = BatchBlobLayout.OutputFile;
    private const string ErrorsBlob = BatchBlobLayout.ErrorsFile;

    /// <summary>The output (or, with <paramref name="errors"/>, the error) file of a finished batch, or null when the batch wrote no output or the file was deleted.</summary>
    public async Task<OpenAIFileObject?> GetAsync(string batchId, bool errors, long finishedAt, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        var id = OpenAIFileIds.BatchFileId(batchId, errors);
        if (await container.Client.GetBlobClient(DeletedPrefix + id).ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var sizes = await SizesAsync(batchId, cancellationToken).ConfigureAwait(false);
        return sizes is not { } s
            ? null
            : new OpenAIFileObject(id, errors ? s.Errors : s.Output, finishedAt, $"{batchId}_{(errors ? "error" : "output")}.jsonl", OpenAIFileIds.BatchOutputPurpose);
    }

    /// <summary>Bytes of a finished batch's output file (its successful lines) and error file, or null when it wrote no output.</summary>
    public async Task<(long Output, long Errors)?> SizesAsync(string batchId, CancellationToken cancellationToken)
    {
        await using var all = await store.OpenOutputAsync(batchId, OutputBlob, cancellationToken).ConfigureAwait(false);
        await using var failed = await store.OpenOutputAsync(batchId, ErrorsBlob, cancellationToken).ConfigureAwait(false);
        return all is null || failed is null ? null : (all.Length - failed.Length, failed.Length);
    }

    /// <summary>Writes a finished batch's output file (successful lines) or error file to <paramref name="target"/>, streamed, in input order.</summary>
    public async Task WriteAsync(string batchId, bool errors, Stream target, CancellationToken cancellationToken)
    {
        await using var source = await store.OpenOutputAsync(batchId, errors ? ErrorsBlob : OutputBlob, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Batch {batchId} has no output.");
        if (errors)
        {
            await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await SuccessLines.CopyAsync(source, target, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a batch's output or error file: from then on it is not found (the batch's own results stay).</summary>
    public async Task DeleteAsync(string fileId, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        await container.Client.GetBlobClient(DeletedPrefix + fileId).UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken).ConfigureAwait(false);
    }
}
