using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Microsoft.Extensions.Options;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// The files of the OpenAI-compatible surface, in a container of their own (<see cref="StorageOptions.FilesContainer"/>).
/// Layout: <c>{file id}</c> is the file's bytes with its name, purpose and creation time as metadata;
/// <c>_batches/{batch id}</c> (empty) lists the batches made through <c>/v1/batches</c>, newest first by name;
/// <c>_uses/{file id}/{batch id}</c> (empty) records which batches read a file, so it is not deleted under a running one.
/// A batch's output and error files (<c>file-{batch id}-output</c>, <c>-error</c>) are views of its ordered
/// <c>output.jsonl</c> / <c>errors.jsonl</c> (never copied); deleting one leaves <c>_deleted/{file id}</c>.
/// </summary>
public sealed class OpenAIFileStore
{
    /// <summary>Purpose of uploaded input files.</summary>
    public const string BatchPurpose = "batch";

    /// <summary>Purpose of a batch's output and error files.</summary>
    public const string BatchOutputPurpose = "batch_output";

    private const string BatchesPrefix = "_batches/";
    private const string UsesPrefix = "_uses/";
    private const string DeletedPrefix = "_deleted/";
    private const string OutputSuffix = "-output";
    private const string ErrorSuffix = "-error";
    private readonly BatchStore _store;
    private readonly Lazy<Task> _created;

    /// <summary>Creates the store.</summary>
    public OpenAIFileStore(BatchStore store, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        Container = store.Service.GetBlobContainerClient(options.Value.FilesContainer);
        _created = new Lazy<Task>(() => Container.CreateIfNotExistsAsync());
    }

    /// <summary>The files container.</summary>
    public BlobContainerClient Container { get; }

    /// <summary>A new file id.</summary>
    public static string NewFileId() => "file-" + Guid.NewGuid().ToString("N")[..24];

    /// <summary>A new batch id whose name sorts newest first: inverted ticks, then randomness.</summary>
    public static string NewBatchId(DateTimeOffset now)
        => "batch_" + (long.MaxValue - now.UtcTicks).ToString("x16", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..16];

    /// <summary>The id of a batch's output file (<paramref name="errors"/>: its error file).</summary>
    public static string BatchFileId(string batchId, bool errors) => $"file-{batchId}{(errors ? ErrorSuffix : OutputSuffix)}";

    /// <summary>The batch and kind of a batch output file id, or null for an uploaded file.</summary>
    public static (string BatchId, bool Errors)? ParseBatchFileId(string fileId)
    {
        ArgumentNullException.ThrowIfNull(fileId);
        foreach (var (suffix, errors) in new[] { (OutputSuffix, false), (ErrorSuffix, true) })
        {
            if (fileId.StartsWith("file-", StringComparison.Ordinal) && fileId.EndsWith(suffix, StringComparison.Ordinal) && fileId.Length > 5 + suffix.Length)
            {
                return (fileId[5..^suffix.Length], errors);
            }
        }

        return null;
    }

    /// <summary>
    /// Streams <paramref name="content"/> into file <paramref name="id"/>, counting bytes and non-blank lines as they pass:
    /// past <paramref name="maxBytes"/> or <paramref name="maxLines"/> it throws
    /// <see cref="Jsonl.BatchLimitExceededException"/> and nothing is stored (the blocks are never committed).
    /// </summary>
    public async Task<OpenAIFileObject> UploadAsync(string id, string filename, string purpose, Stream content, long maxBytes, int maxLines, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        var counted = new UploadLimitStream(content, maxBytes, maxLines);
        var createdAt = now.ToUnixTimeSeconds();
        await Container.GetBlockBlobClient(id).UploadAsync(counted, new BlobUploadOptions
        {
            Metadata = Metadata(filename, purpose, createdAt),
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/jsonl" },
        }, cancellationToken).ConfigureAwait(false);
        return new OpenAIFileObject(id, counted.Position, createdAt, filename, purpose);
    }

    /// <summary>The file object of <paramref name="id"/>, or null when there is no such file.</summary>
    public async Task<OpenAIFileObject?> GetAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await Container.GetBlobClient(id).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return ToFile(id, properties.Value.ContentLength, properties.Value.Metadata, properties.Value.CreatedOn);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Every file, newest first (then by id), optionally of one purpose.</summary>
    public async Task<List<OpenAIFileObject>> ListAsync(string? purpose, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        var files = new List<OpenAIFileObject>();
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = "file-" }, cancellationToken).ConfigureAwait(false))
        {
            var file = ToFile(item.Name, item.Properties.ContentLength ?? 0, item.Metadata, item.Properties.CreatedOn ?? DateTimeOffset.UnixEpoch);
            if (purpose is null || file.Purpose == purpose)
            {
                files.Add(file);
            }
        }

        files.Sort((a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : string.CompareOrdinal(a.Id, b.Id));
        return files;
    }

    /// <summary>Opens a file's bytes for streaming, or null when there is no such file.</summary>
    public async Task<Stream?> OpenReadAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await Container.GetBlobClient(id).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes a file and its record of uses; false when there was no such file.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        var deleted = await Container.DeleteBlobIfExistsAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false);
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{UsesPrefix}{id}/" }, cancellationToken).ConfigureAwait(false))
        {
            await Container.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return deleted.Value;
    }

    /// <summary>Records a batch made through <c>/v1/batches</c> from <paramref name="fileId"/> (before it starts).</summary>
    public async Task RecordBatchAsync(string batchId, string fileId, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        await Task.WhenAll(
            Container.GetBlobClient($"{UsesPrefix}{fileId}/{batchId}").UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken),
            Container.GetBlobClient(BatchesPrefix + batchId).UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The batches that read <paramref name="fileId"/>.</summary>
    public async Task<List<string>> BatchesUsingAsync(string fileId, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        var prefix = $"{UsesPrefix}{fileId}/";
        var ids = new List<string>();
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            ids.Add(item.Name[prefix.Length..]);
        }

        return ids;
    }

    /// <summary>
    /// One page of the batches made through <c>/v1/batches</c>, newest first: up to <paramref name="limit"/> ids after
    /// <paramref name="after"/> (null = from the newest), and whether more follow.
    /// </summary>
    public async Task<(List<string> Ids, bool HasMore)> ListBatchesAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        var ids = new List<string>(limit + 1);
        var started = after is null;
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = BatchesPrefix }, cancellationToken).ConfigureAwait(false))
        {
            var id = item.Name[BatchesPrefix.Length..];
            if (!started)
            {
                // Names sort newest first; an id that is not listed (a batch made elsewhere) starts after its place.
                started = string.CompareOrdinal(id, after) > 0;
                if (!started)
                {
                    continue;
                }
            }

            ids.Add(id);
            if (ids.Count > limit)
            {
                break;
            }
        }

        var hasMore = ids.Count > limit;
        if (hasMore)
        {
            ids.RemoveAt(ids.Count - 1);
        }

        return (ids, hasMore);
    }

    /// <summary>
    /// The output (or, with <paramref name="errors"/>, the error) file of a finished batch, or null when the batch wrote
    /// no output or the file was deleted. These files are views of the batch's ordered output, not copies: the error
    /// file is <c>errors.jsonl</c>, the output file is <c>output.jsonl</c> without those lines (the same bytes), so its
    /// size is the difference of the two.
    /// </summary>
    public async Task<OpenAIFileObject?> GetBatchFileAsync(string batchId, bool errors, long finishedAt, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        var id = BatchFileId(batchId, errors);
        if (await Container.GetBlobClient(DeletedPrefix + id).ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var sizes = await BatchFileSizesAsync(batchId, cancellationToken).ConfigureAwait(false);
        return sizes is not { } s
            ? null
            : new OpenAIFileObject(id, errors ? s.Errors : s.Output, finishedAt, $"{batchId}_{(errors ? "error" : "output")}.jsonl", BatchOutputPurpose);
    }

    /// <summary>Bytes of a finished batch's output file (its successful lines) and error file, or null when it wrote no output.</summary>
    public async Task<(long Output, long Errors)?> BatchFileSizesAsync(string batchId, CancellationToken cancellationToken)
    {
        await using var all = await _store.OpenOutputAsync(batchId, BatchBlobLayout.OutputFile, cancellationToken).ConfigureAwait(false);
        await using var failed = await _store.OpenOutputAsync(batchId, BatchBlobLayout.ErrorsFile, cancellationToken).ConfigureAwait(false);
        return all is null || failed is null ? null : (all.Length - failed.Length, failed.Length);
    }

    /// <summary>Writes a finished batch's output file (successful lines) or error file to <paramref name="target"/>, streamed, in input order.</summary>
    public async Task WriteBatchFileAsync(string batchId, bool errors, Stream target, CancellationToken cancellationToken)
    {
        await using var source = await _store.OpenOutputAsync(batchId, errors ? BatchBlobLayout.ErrorsFile : BatchBlobLayout.OutputFile, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Batch {batchId} has no output.");
        if (errors)
        {
            await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await CopySuccessLinesAsync(source, target, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a batch's output or error file: from then on it is not found (the batch's own results stay).</summary>
    public async Task DeleteBatchFileAsync(string fileId, CancellationToken cancellationToken)
    {
        await _created.Value.ConfigureAwait(false);
        await Container.GetBlobClient(DeletedPrefix + fileId).UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the lines of <paramref name="source"/> that are not error lines.</summary>
    private static async Task CopySuccessLinesAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 256 * 1024, leaveOpen: true));
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = buffer.Slice(0, buffer.GetPosition(1, end));
                await CopyIfAnswerAsync(line, target, cancellationToken).ConfigureAwait(false);
                buffer = buffer.Slice(line.End);
            }

            if (read.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    await CopyIfAnswerAsync(buffer, target, cancellationToken).ConfigureAwait(false);
                }

                break;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        await reader.CompleteAsync().ConfigureAwait(false);
    }

    private static async Task CopyIfAnswerAsync(ReadOnlySequence<byte> line, Stream target, CancellationToken cancellationToken)
    {
        var bytes = line.IsSingleSegment ? line.First : line.ToArray();
        var json = bytes.Span.TrimEnd("\r\n"u8);
        if (!json.IsEmpty && !OutputLines.IsError(json))
        {
            await target.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, string> Metadata(string filename, string purpose, long createdAt) => new()
    {
        // Metadata values are ASCII: the name is stored escaped.
        ["filename"] = Uri.EscapeDataString(filename),
        ["purpose"] = purpose,
        ["created_at"] = createdAt.ToString(CultureInfo.InvariantCulture),
    };

    private static OpenAIFileObject ToFile(string id, long bytes, IDictionary<string, string>? metadata, DateTimeOffset createdOn)
    {
        string? Get(string key) => metadata is not null && metadata.TryGetValue(key, out var v) ? v : null;
        var createdAt = long.TryParse(Get("created_at"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : createdOn.ToUnixTimeSeconds();
        return new OpenAIFileObject(id, bytes, createdAt, Uri.UnescapeDataString(Get("filename") ?? id), Get("purpose") ?? BatchPurpose);
    }
}
