using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Storage;

/// <summary>
/// All blob I/O of a batch, over the layout of <see cref="BatchBlobLayout"/>: prepared chunks (read through
/// <see cref="PreparedChunkCache"/>), result segments (kept in <see cref="ResultSegmentCache"/>, gathered by
/// <see cref="ChunkResultGatherer"/>) and the final files (<see cref="BatchFinalizer"/>).
/// </summary>
public sealed partial class BatchStore
{
    private const long MaxWholeChunkBytes = 16L * 1024 * 1024;
    private readonly PreparedChunkCache _chunks;
    private readonly ResultSegmentCache _segments = new();
    private readonly ChunkResultGatherer _results;
    private readonly BatchFinalizer _finalizer;
    private readonly Lazy<Task> _containers;
    private readonly BlobServiceClient _service;
    private readonly BlobContainerClient _input;
    private readonly BlobContainerClient _output;
    private readonly BlobContainerClient _work;

    /// <summary>Creates the store over a blob service.</summary>
    public BatchStore(BlobServiceClient service, IOptions<StorageOptions> options)
    {
        var o = options.Value;
        _service = service;
        _input = service.GetBlobContainerClient(o.InputContainer);
        _output = service.GetBlobContainerClient(o.OutputContainer);
        _work = service.GetBlobContainerClient(o.WorkContainer);
        _containers = new Lazy<Task>(() => Task.WhenAll(
            _input.CreateIfNotExistsAsync(),
            _output.CreateIfNotExistsAsync(),
            _work.CreateIfNotExistsAsync()));
        _chunks = new PreparedChunkCache(_work);
        _results = new ChunkResultGatherer(_work, _segments);
        _finalizer = new BatchFinalizer(this, _results, _output);
    }

    /// <summary>The blob-drop container's name.</summary>
    public string InputContainer => _input.Name;

    /// <summary>Creates the containers once per process.</summary>
    public Task EnsureContainersAsync() => _containers.Value;

    /// <summary>Whether storage answers (throws when it does not): the health check's probe.</summary>
    public Task ProbeAsync(CancellationToken cancellationToken) => _output.ExistsAsync(cancellationToken);

    /// <summary>The blobs of the blob-drop container.</summary>
    public AsyncPageable<BlobItem> ListInputBlobsAsync(CancellationToken cancellationToken) => _input.GetBlobsAsync(cancellationToken: cancellationToken);

    /// <summary>Opens blob <paramref name="blobName"/> of the blob-drop container for reading.</summary>
    public Task<Stream> OpenInputAsync(string blobName, CancellationToken cancellationToken)
        => _input.GetBlobClient(blobName).OpenReadAsync(cancellationToken: cancellationToken);

    /// <summary>Opens a batch's source blob (any container of the account) for reading.</summary>
    public Task<Stream> OpenSourceAsync(BatchSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        return _service.GetBlobContainerClient(source.Container).GetBlobClient(source.BlobName).OpenReadAsync(cancellationToken: cancellationToken);
    }

    /// <summary>The output blob path as the batch object names it, e.g. <c>batches-out/{id}/output.jsonl</c>.</summary>
    public string OutputBlobPath(string batchId) => $"{_output.Name}/{BatchBlobLayout.OutputBlob(batchId, BatchBlobLayout.OutputFile)}";

    /// <summary>The errors blob path as the batch object names it.</summary>
    public string ErrorBlobPath(string batchId) => $"{_output.Name}/{BatchBlobLayout.OutputBlob(batchId, BatchBlobLayout.ErrorsFile)}";

    /// <summary>Writes one prepared chunk and its line index.</summary>
    public async Task WritePreparedChunkAsync(string batchId, int chunk, ReadOnlyMemory<byte> data, IReadOnlyList<long> offsets, CancellationToken cancellationToken)
    {
        var idx = LineIndexFormat.Encode(offsets);
        await Task.WhenAll(
            _work.GetBlobClient(ChunkBlob(batchId, chunk)).UploadAsync(BinaryData.FromBytes(data), overwrite: true, cancellationToken),
            _work.GetBlobClient(IndexBlob(batchId, chunk)).UploadAsync(BinaryData.FromBytes(idx), overwrite: true, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads prepared line <paramref name="index"/>. A chunk is downloaded once per process and kept in memory (up to
    /// 256 MB of chunks), so the activities of a chunk cost one storage read between them; a chunk too large to keep
    /// is read line by line with ranged reads.
    /// </summary>
    public async Task<PreparedLine> ReadPreparedLineAsync(string batchId, int index, int chunkSize, CancellationToken cancellationToken)
    {
        var chunk = index / chunkSize;
        var offsets = await _chunks.GetIndexAsync(batchId, chunk, cancellationToken).ConfigureAwait(false);
        var local = index % chunkSize;
        var start = offsets[local];
        var length = offsets[local + 1] - start;
        if (offsets[^1] <= MaxWholeChunkBytes && await _chunks.GetChunkAsync(batchId, chunk, cancellationToken).ConfigureAwait(false) is { } content)
        {
            return PreparedLine.Parse(content.Slice((int)start, (int)length));
        }

        var response = await _work.GetBlobClient(ChunkBlob(batchId, chunk)).DownloadContentAsync(
            new BlobDownloadOptions { Range = new HttpRange(start, length) }, cancellationToken).ConfigureAwait(false);
        return PreparedLine.Parse(response.Value.Content.ToMemory());
    }

    /// <summary>Reads every prepared line of a chunk.</summary>
    public async Task<IReadOnlyList<PreparedLine>> ReadPreparedChunkAsync(string batchId, int chunk, CancellationToken cancellationToken)
    {
        var offsets = await _chunks.GetIndexAsync(batchId, chunk, cancellationToken).ConfigureAwait(false);
        var content = (await _work.GetBlobClient(ChunkBlob(batchId, chunk)).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
        var lines = new PreparedLine[offsets.Length - 1];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = PreparedLine.Parse(content[(int)offsets[i]..(int)offsets[i + 1]]);
        }

        return lines;
    }

    /// <summary>
    /// Uploads one segment of result lines (see <see cref="ResultSegmentWriter"/>) of chunks <paramref name="firstChunk"/>
    /// to <paramref name="lastChunk"/>, and keeps a copy in memory (up to 256 MB) so that a finalize in this process
    /// reads it from there instead of downloading it again: segment names are unique and never rewritten, so the copy
    /// is the blob.
    /// </summary>
    public async Task WriteResultSegmentAsync(string batchId, int firstChunk, int lastChunk, byte[] segment, CancellationToken cancellationToken)
    {
        var name = BatchBlobLayout.ResultSegmentBlob(batchId, firstChunk, lastChunk, Guid.NewGuid());
        await _work.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(segment), overwrite: true, cancellationToken).ConfigureAwait(false);
        _segments.Remember(name, segment);
    }

    /// <summary>
    /// Reads what storage holds for a batch: which lines have no result line yet, and the counts of the stored ones
    /// (the truth for the batch's counters, whatever the orchestration saw). Segments read here stay in memory for the
    /// finalize that follows.
    /// </summary>
    public async Task<ResultCheck> CheckResultsAsync(string batchId, PreparedBatch prepared, CancellationToken cancellationToken)
    {
        var missing = new List<int>();
        var counts = new BatchCounts();
        var listed = await _results.ListAsync(batchId, cancellationToken).ConfigureAwait(false);
        for (var chunk = 0; chunk < prepared.ChunkCount; chunk++)
        {
            var start = chunk * prepared.ChunkSize;
            var lines = await _results.GatherAsync(prepared, chunk, listed, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i] is not { } line)
                {
                    missing.Add(start + i);
                }
                else if (DuplicateResultRule.IsErrorLine(line))
                {
                    counts = counts.Add(new PromptOutcome(start + i, false));
                }
                else if (Cache.CachedLines.IsCached(line.Span))
                {
                    // Answered from the response cache: its usage was spent by another run, not this batch.
                    counts = counts.Add(new PromptOutcome(start + i, true, Cached: true));
                }
                else
                {
                    var (prompt, completion) = OutputLines.ReadLineUsage(line.Span);
                    counts = counts.Add(new PromptOutcome(start + i, true, null, prompt, completion));
                }
            }
        }

        // The listing stays the truth (a finalize on any host gathers the same lines): a segment this process uploaded
        // that the listing lacks (deleted, or lost by storage) is only counted, for the log.
        return new ResultCheck(missing, counts, _segments.NamesOf(batchId).Count(n => !listed.Contains(n)));
    }

    /// <summary>
    /// The lines of chunk <paramref name="chunk"/> (<paramref name="count"/> lines) without a stored result line, in
    /// input order: what is left to run live after the Batch API answered some of them.
    /// </summary>
    public async Task<IReadOnlyList<int>> MissingInChunkAsync(string batchId, int chunkSize, int chunk, int count, CancellationToken cancellationToken)
    {
        var start = chunk * chunkSize;
        var lines = await _results.GatherAsync(batchId, new PreparedBatch(start + count, 0, chunkSize), chunk, cancellationToken).ConfigureAwait(false);
        var missing = new List<int>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] is null)
            {
                missing.Add(start + i);
            }
        }

        return missing;
    }

    /// <summary>Result segments of this batch still held in memory (for tests and diagnostics).</summary>
    public int SegmentsInMemory(string batchId) => _segments.CountOf(batchId);

    /// <summary>
    /// Gathers every chunk's result segments into input order (filling lines that never ran with
    /// <paramref name="missingCode"/>), then writes output.jsonl, errors.jsonl and batch.json.
    /// Safe to run again after a crash: each step is idempotent and output.jsonl only appears when complete.
    /// </summary>
    public async Task FinalizeAsync(string batchId, PreparedBatch prepared, string missingCode, string missingMessage, byte[] batchJson, CancellationToken cancellationToken)
    {
        await _finalizer.FinalizeAsync(batchId, prepared, missingCode, missingMessage, batchJson, cancellationToken).ConfigureAwait(false);
        _segments.Forget(batchId);
    }

    /// <summary>
    /// Writes the finished prefix of a running batch's output to <paramref name="destination"/>: its result lines in
    /// input order, up to (not including) the first line with no stored result. Reads chunk by chunk, stopping at the
    /// first chunk with a gap, so it never holds more than one chunk. Returns how many lines it wrote.
    /// </summary>
    public async Task<int> WriteFinishedPrefixAsync(string batchId, PreparedBatch prepared, Stream destination, CancellationToken cancellationToken)
    {
        var written = 0;

        // One listing of the batch (a listing costs the storage a scan of every blob it holds, whatever its prefix), then
        // chunk by chunk, reading only the segments of the chunks up to the first gap.
        var listed = await _results.ListAsync(batchId, cancellationToken).ConfigureAwait(false);
        for (var chunk = 0; chunk < prepared.ChunkCount; chunk++)
        {
            var lines = await _results.GatherAsync(prepared, chunk, listed, cancellationToken).ConfigureAwait(false);
            foreach (var line in lines)
            {
                if (line is not { } l)
                {
                    return written;
                }

                await destination.WriteAsync(l, cancellationToken).ConfigureAwait(false);
                written++;
            }

            await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>Opens <c>output.jsonl</c> or <c>errors.jsonl</c> of a batch for streaming, or null when absent.</summary>
    public async Task<Stream?> OpenOutputAsync(string batchId, string fileName, CancellationToken cancellationToken)
    {
        try
        {
            return await _output.GetBlobClient(BatchBlobLayout.OutputBlob(batchId, fileName)).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes the working blobs of a finished batch.</summary>
    public async Task DeleteWorkAsync(string batchId, CancellationToken cancellationToken)
    {
        _segments.Forget(batchId);
        await foreach (var item in _work.GetBlobsAsync(new GetBlobsOptions { Prefix = BatchBlobLayout.WorkPrefix(batchId) }, cancellationToken).ConfigureAwait(false))
        {
            await _work.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    internal static string ChunkBlob(string batchId, int chunk) => BatchBlobLayout.ChunkBlob(batchId, chunk);

    internal static string IndexBlob(string batchId, int chunk) => BatchBlobLayout.IndexBlob(batchId, chunk);
}
