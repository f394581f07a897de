using System.Buffers.Binary;
using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Storage;

/// <summary>
/// All blob I/O of a batch. Layout: <c>batches-work/{id}/chunks/{k}.jsonl</c> (+ <c>.idx</c> byte offsets) hold the
/// prepared input; <c>batches-work/{id}/results/{k}/{guid}.seg</c> are segments of index-tagged result lines
/// (<see cref="ResultSegmentWriter"/>), gathered in input order at the end; <c>batches-out/{id}/</c> holds the final
/// <c>output.jsonl</c>, <c>errors.jsonl</c> and <c>batch.json</c>.
/// </summary>
public sealed class BatchStore
{
    private const int MaxCachedIndexes = 4096;
    private const long MaxCachedChunkBytes = 256L * 1024 * 1024;
    private const long MaxWholeChunkBytes = 16L * 1024 * 1024;
    private const long MaxSegmentBytes = 256L * 1024 * 1024;
    private readonly ConcurrentDictionary<string, Task<long[]>> _indexes = new();
    private readonly ConcurrentDictionary<string, Task<ReadOnlyMemory<byte>?>> _chunks = new();
    private readonly ConcurrentDictionary<string, byte[]> _segments = new(StringComparer.Ordinal);
    private long _cachedChunkBytes;
    private long _segmentBytes;
    private readonly Lazy<Task> _containers;

    /// <summary>Creates the store over a blob service.</summary>
    public BatchStore(BlobServiceClient service, IOptions<StorageOptions> options)
    {
        var o = options.Value;
        Service = service;
        Input = service.GetBlobContainerClient(o.InputContainer);
        Output = service.GetBlobContainerClient(o.OutputContainer);
        Work = service.GetBlobContainerClient(o.WorkContainer);
        _containers = new Lazy<Task>(() => Task.WhenAll(
            Input.CreateIfNotExistsAsync(),
            Output.CreateIfNotExistsAsync(),
            Work.CreateIfNotExistsAsync()));
    }

    /// <summary>The blob service.</summary>
    public BlobServiceClient Service { get; }

    /// <summary>The blob-drop container.</summary>
    public BlobContainerClient Input { get; }

    /// <summary>The results container.</summary>
    public BlobContainerClient Output { get; }

    /// <summary>The working container.</summary>
    public BlobContainerClient Work { get; }

    /// <summary>Creates the containers once per process.</summary>
    public Task EnsureContainersAsync() => _containers.Value;

    /// <summary>The output blob path as the batch object names it, e.g. <c>batches-out/{id}/output.jsonl</c>.</summary>
    public string OutputBlobPath(string batchId) => $"{Output.Name}/{batchId}/output.jsonl";

    /// <summary>The errors blob path as the batch object names it.</summary>
    public string ErrorBlobPath(string batchId) => $"{Output.Name}/{batchId}/errors.jsonl";

    /// <summary>Writes one prepared chunk and its line index.</summary>
    public async Task WritePreparedChunkAsync(string batchId, int chunk, ReadOnlyMemory<byte> data, IReadOnlyList<long> offsets, CancellationToken cancellationToken)
    {
        var idx = new byte[offsets.Count * sizeof(long)];
        for (var i = 0; i < offsets.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(idx.AsSpan(i * sizeof(long)), offsets[i]);
        }

        await Task.WhenAll(
            Work.GetBlobClient(ChunkBlob(batchId, chunk)).UploadAsync(BinaryData.FromBytes(data), overwrite: true, cancellationToken),
            Work.GetBlobClient(IndexBlob(batchId, chunk)).UploadAsync(BinaryData.FromBytes(idx), overwrite: true, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads prepared line <paramref name="index"/>. A chunk is downloaded once per process and kept in memory (up to
    /// 256 MB of chunks), so the activities of a chunk cost one storage read between them; a chunk too large to keep
    /// is read line by line with ranged reads.
    /// </summary>
    public async Task<PreparedLine> ReadPreparedLineAsync(string batchId, int index, int chunkSize, CancellationToken cancellationToken)
    {
        var chunk = index / chunkSize;
        var offsets = await GetIndexAsync(batchId, chunk, cancellationToken).ConfigureAwait(false);
        var local = index % chunkSize;
        var start = offsets[local];
        var length = offsets[local + 1] - start;
        if (offsets[^1] <= MaxWholeChunkBytes && await GetChunkAsync(batchId, chunk, cancellationToken).ConfigureAwait(false) is { } content)
        {
            return PreparedLine.Parse(content.Slice((int)start, (int)length));
        }

        var response = await Work.GetBlobClient(ChunkBlob(batchId, chunk)).DownloadContentAsync(
            new BlobDownloadOptions { Range = new HttpRange(start, length) }, cancellationToken).ConfigureAwait(false);
        return PreparedLine.Parse(response.Value.Content.ToMemory());
    }

    /// <summary>Reads every prepared line of a chunk.</summary>
    public async Task<IReadOnlyList<PreparedLine>> ReadPreparedChunkAsync(string batchId, int chunk, CancellationToken cancellationToken)
    {
        var offsets = await GetIndexAsync(batchId, chunk, cancellationToken).ConfigureAwait(false);
        var content = (await Work.GetBlobClient(ChunkBlob(batchId, chunk)).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
        var lines = new PreparedLine[offsets.Length - 1];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = PreparedLine.Parse(content[(int)offsets[i]..(int)offsets[i + 1]]);
        }

        return lines;
    }

    /// <summary>
    /// Uploads one segment of result lines (see <see cref="ResultSegmentWriter"/>) under <paramref name="prefix"/>, and
    /// keeps a copy in memory (up to 256 MB) so that a finalize in this process reads it from there instead of
    /// downloading it again: segment names are unique and never rewritten, so the copy is the blob.
    /// </summary>
    public async Task WriteResultSegmentAsync(string prefix, byte[] segment, CancellationToken cancellationToken)
    {
        var name = $"{prefix}{Guid.NewGuid():N}.seg";
        await Work.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(segment), overwrite: true, cancellationToken).ConfigureAwait(false);
        RememberSegment(name, segment);
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
        for (var chunk = 0; chunk < prepared.ChunkCount; chunk++)
        {
            var start = chunk * prepared.ChunkSize;
            var lines = await GatherChunkAsync(batchId, prepared, chunk, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i] is not { } line)
                {
                    missing.Add(start + i);
                }
                else if (IsErrorLine(line))
                {
                    counts = counts.Add(new PromptOutcome(start + i, false));
                }
                else
                {
                    var (prompt, completion) = OutputLines.ReadLineUsage(line.Span);
                    counts = counts.Add(new PromptOutcome(start + i, true, null, prompt, completion));
                }
            }
        }

        return new ResultCheck(missing, counts);
    }

    /// <summary>Result segments of this batch still held in memory (for tests and diagnostics).</summary>
    public int SegmentsInMemory(string batchId) => _segments.Keys.Count(k => k.StartsWith(batchId + "/", StringComparison.Ordinal));

    /// <summary>
    /// Gathers every chunk's result segments into input order (filling lines that never ran with
    /// <paramref name="missingCode"/>), then writes output.jsonl, errors.jsonl and batch.json.
    /// Safe to run again after a crash: each step is idempotent and output.jsonl only appears when complete.
    /// </summary>
    public async Task FinalizeAsync(string batchId, PreparedBatch prepared, string missingCode, string missingMessage, byte[] batchJson, CancellationToken cancellationToken)
    {
        var output = Output.GetBlockBlobClient($"{batchId}/output.jsonl");
        var errors = Output.GetBlockBlobClient($"{batchId}/errors.jsonl");
        var options = new BlockBlobOpenWriteOptions { BufferSize = 4 * 1024 * 1024 };
        await using (var outStream = await output.OpenWriteAsync(overwrite: true, options, cancellationToken).ConfigureAwait(false))
        await using (var errStream = await errors.OpenWriteAsync(overwrite: true, options, cancellationToken).ConfigureAwait(false))
        {
            for (var chunk = 0; chunk < prepared.ChunkCount; chunk++)
            {
                var content = await CommitChunkAsync(batchId, prepared, chunk, missingCode, missingMessage, cancellationToken).ConfigureAwait(false);
                await outStream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                var span = content;
                while (span.Length > 0)
                {
                    var nl = span.Span.IndexOf((byte)'\n');
                    var line = nl < 0 ? span : span[..(nl + 1)];
                    if (IsErrorLine(line))
                    {
                        await errStream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                    }

                    span = span[line.Length..];
                }
            }
        }

        await Output.GetBlobClient($"{batchId}/batch.json").UploadAsync(BinaryData.FromBytes(batchJson), overwrite: true, cancellationToken).ConfigureAwait(false);
        ForgetSegments(batchId);
    }

    /// <summary>
    /// Writes the finished prefix of a running batch's output to <paramref name="destination"/>: its result lines in
    /// input order, up to (not including) the first line with no stored result. Reads chunk by chunk, stopping at the
    /// first chunk with a gap, so it never holds more than one chunk. Returns how many lines it wrote.
    /// </summary>
    public async Task<int> WriteFinishedPrefixAsync(string batchId, PreparedBatch prepared, Stream destination, CancellationToken cancellationToken)
    {
        var written = 0;
        for (var chunk = 0; chunk < prepared.ChunkCount; chunk++)
        {
            var lines = await GatherChunkAsync(batchId, prepared, chunk, cancellationToken).ConfigureAwait(false);
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
            return await Output.GetBlobClient($"{batchId}/{fileName}").OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes the working blobs of a finished batch.</summary>
    public async Task DeleteWorkAsync(string batchId, CancellationToken cancellationToken)
    {
        ForgetSegments(batchId);
        await foreach (var item in Work.GetBlobsAsync(new GetBlobsOptions { Prefix = batchId + "/" }, cancellationToken).ConfigureAwait(false))
        {
            await Work.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    internal static string ChunkBlob(string batchId, int chunk) => $"{batchId}/chunks/{chunk:D6}.jsonl";

    internal static string IndexBlob(string batchId, int chunk) => $"{batchId}/chunks/{chunk:D6}.idx";

    internal static string ResultPrefix(string batchId, int chunk) => $"{batchId}/results/{chunk:D6}/";

    private async Task<ReadOnlyMemory<byte>> CommitChunkAsync(string batchId, PreparedBatch prepared, int chunk, string missingCode, string missingMessage, CancellationToken cancellationToken)
    {
        var start = chunk * prepared.ChunkSize;
        var lines = await GatherChunkAsync(batchId, prepared, chunk, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<PreparedLine>? prepared2 = null;
        var output = new MemoryStream();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] is { } line)
            {
                output.Write(line.Span);
            }
            else
            {
                prepared2 ??= await ReadPreparedChunkAsync(batchId, chunk, cancellationToken).ConfigureAwait(false);
                output.Write(OutputLines.Error(batchId, start + i, prepared2[i].CustomId, missingCode, missingMessage));
            }
        }

        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }

    /// <summary>The stored result line of each line of a chunk (null where none is stored), one copy per line.</summary>
    private async Task<ReadOnlyMemory<byte>?[]> GatherChunkAsync(string batchId, PreparedBatch prepared, int chunk, CancellationToken cancellationToken)
    {
        var start = chunk * prepared.ChunkSize;
        var count = prepared.CountOf(chunk);
        var lines = new ReadOnlyMemory<byte>?[count];
        var names = new List<string>();
        await foreach (var item in Work.GetBlobsAsync(new GetBlobsOptions { Prefix = ResultPrefix(batchId, chunk) }, cancellationToken).ConfigureAwait(false))
        {
            names.Add(item.Name);
        }

        // Sorted names make the choice between two copies of a re-run line the same on every finalize attempt.
        names.Sort(StringComparer.Ordinal);
        // The listing is the truth (segments written by other processes, or before a crash, are only there); a segment
        // this process wrote or read before is read from memory (names are unique and never rewritten).
        var segments = await Task.WhenAll(names.Select(async n =>
        {
            if (_segments.TryGetValue(n, out var held))
            {
                return held;
            }

            var downloaded = (await Work.GetBlobClient(n).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToArray();
            RememberSegment(n, downloaded);
            return downloaded;
        })).ConfigureAwait(false);
        foreach (var segment in segments)
        {
            foreach (var (index, line) in ResultSegmentWriter.Decode(segment))
            {
                var local = index - start;
                // A line that ran more than once (activities are at-least-once) keeps its first copy in name order,
                // except that an answer beats an error: a retry that failed never hides a result that was stored.
                if (local >= 0 && local < count
                    && (lines[local] is not { } kept || (IsErrorLine(kept) && !IsErrorLine(line))))
                {
                    lines[local] = line;
                }
            }
        }

        return lines;
    }

    /// <summary>
    /// Keeps a segment in memory (up to 256 MB in all). When full (batches that never finalize here, e.g. terminated
    /// ones, would otherwise pin it) it starts again; a finalize then downloads what is no longer held.
    /// </summary>
    private void RememberSegment(string name, byte[] segment)
    {
        if (Interlocked.Add(ref _segmentBytes, segment.Length) > MaxSegmentBytes)
        {
            _segments.Clear();
            Interlocked.Exchange(ref _segmentBytes, segment.Length);
        }

        if (!_segments.TryAdd(name, segment))
        {
            Interlocked.Add(ref _segmentBytes, -segment.Length);
        }
    }

    /// <summary>Whether an output line (with or without its trailing newline) is an error line.</summary>
    private static bool IsErrorLine(ReadOnlyMemory<byte> line) => OutputLines.IsError(line.Span.TrimEnd((byte)'\n'));

    private void ForgetSegments(string batchId)
    {
        var prefix = batchId + "/";
        foreach (var name in _segments.Keys)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && _segments.TryRemove(name, out var segment))
            {
                Interlocked.Add(ref _segmentBytes, -segment.Length);
            }
        }
    }

    private async Task<ReadOnlyMemory<byte>?> GetChunkAsync(string batchId, int chunk, CancellationToken cancellationToken)
    {
        if (Interlocked.Read(ref _cachedChunkBytes) > MaxCachedChunkBytes)
        {
            _chunks.Clear();
            Interlocked.Exchange(ref _cachedChunkBytes, 0);
        }

        return await GetOrLoad(_chunks, ChunkBlob(batchId, chunk), k => LoadChunkAsync(k, cancellationToken)).ConfigureAwait(false);
    }

    private async Task<ReadOnlyMemory<byte>?> LoadChunkAsync(string blobName, CancellationToken cancellationToken)
    {
        var content = (await Work.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
        Interlocked.Add(ref _cachedChunkBytes, content.Length);
        return content;
    }

    private Task<long[]> GetIndexAsync(string batchId, int chunk, CancellationToken cancellationToken)
    {
        if (_indexes.Count > MaxCachedIndexes)
        {
            _indexes.Clear();
        }

        return GetOrLoad(_indexes, IndexBlob(batchId, chunk), k => LoadIndexAsync(k, cancellationToken));
    }

    /// <summary>The cached load of <paramref name="key"/>, started once; a load that failed or was cancelled is started again.</summary>
    private static Task<T> GetOrLoad<T>(ConcurrentDictionary<string, Task<T>> cache, string key, Func<string, Task<T>> load)
    {
        var task = cache.GetOrAdd(key, load);
        if (task.IsFaulted || task.IsCanceled)
        {
            cache.TryRemove(key, out _);
            task = cache.GetOrAdd(key, load);
        }

        return task;
    }

    private async Task<long[]> LoadIndexAsync(string blobName, CancellationToken cancellationToken)
    {
        var bytes = (await Work.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
        var offsets = new long[bytes.Length / sizeof(long)];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.Span[(i * sizeof(long))..]);
        }

        return offsets;
    }
}
