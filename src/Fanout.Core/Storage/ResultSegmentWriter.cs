using System.Buffers.Binary;

namespace Fanout.Core.Storage;

/// <summary>
/// Group commit of result lines: the activities of one batch that finish within a few milliseconds of each other share
/// one blob upload (a <em>segment</em> of index-tagged lines) instead of one storage round-trip each. A segment spans
/// the chunks whose lines it holds (<see cref="BatchBlobLayout.ResultSegmentBlob"/>): keyed by batch rather than by chunk,
/// the chunks that run side by side share a segment, so a batch stores several times fewer, larger blobs (each blob
/// costs the storage a listing entry and a share of every metadata save, whatever its size). An activity's
/// write completes only when its segment is durably stored, so a crash never loses an acknowledged result; a line
/// written twice (at-least-once activities) appears in two segments and the finalize step keeps one.
/// </summary>
public sealed class ResultSegmentWriter(BatchStore store)
{
    /// <summary>Most lines in one segment.</summary>
    public const int MaxLinesPerSegment = 128;

    /// <summary>Most chunks one segment spans (every chunk it spans reads it at the batch's end).</summary>
    public const int MaxChunksPerSegment = 64;

    /// <summary>How long the first line of a segment waits for company.</summary>
    public static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(4);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Segment> _open = new(StringComparer.Ordinal); // by batch id

    /// <summary>Stores the result line of <paramref name="index"/>; completes once it is durable.</summary>
    public Task WriteAsync(string batchId, int index, int chunkSize, byte[] line, CancellationToken cancellationToken)
    {
        var chunk = index / chunkSize;
        Segment segment;
        Segment? full = null;
        var flushNow = false;
        lock (_gate)
        {
            if (_open.TryGetValue(batchId, out segment!) && !segment.CanSpan(chunk))
            {
                // A line far from the others (a late retry): the open segment goes now, this line starts the next one.
                _open.Remove(batchId);
                full = segment;
            }

            if (!_open.TryGetValue(batchId, out segment!))
            {
                segment = new Segment(batchId, chunk);
                _open.Add(batchId, segment);
                _ = FlushLaterAsync(segment);
            }

            segment.Add(index, chunk, line);
            if (segment.Lines.Count >= MaxLinesPerSegment)
            {
                _open.Remove(batchId);
                flushNow = true;
            }
        }

        if (full is not null)
        {
            _ = FlushAsync(full);
        }

        if (flushNow)
        {
            _ = FlushAsync(segment);
        }

        return segment.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Serialises index-tagged lines: [int32 index][int32 length][bytes]… (little-endian).</summary>
    internal static byte[] Encode(IReadOnlyList<(int Index, byte[] Line)> lines)
    {
        var size = lines.Sum(l => 8 + l.Line.Length);
        var bytes = new byte[size];
        var offset = 0;
        foreach (var (index, line) in lines)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), index);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset + 4), line.Length);
            line.CopyTo(bytes, offset + 8);
            offset += 8 + line.Length;
        }

        return bytes;
    }

    /// <summary>Reads a segment written by <see cref="Encode"/>.</summary>
    internal static IEnumerable<(int Index, ReadOnlyMemory<byte> Line)> Decode(ReadOnlyMemory<byte> segment)
    {
        var offset = 0;
        while (offset + 8 <= segment.Length)
        {
            var index = BinaryPrimitives.ReadInt32LittleEndian(segment.Span[offset..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(segment.Span[(offset + 4)..]);
            yield return (index, segment.Slice(offset + 8, length));
            offset += 8 + length;
        }
    }

    private async Task FlushLaterAsync(Segment segment)
    {
        await Task.Delay(FlushDelay).ConfigureAwait(false);
        lock (_gate)
        {
            // Already flushed because it filled up (a newer segment may be open under the same key).
            if (!_open.TryGetValue(segment.BatchId, out var current) || current != segment)
            {
                return;
            }

            _open.Remove(segment.BatchId);
        }

        await FlushAsync(segment).ConfigureAwait(false);
    }

    private async Task FlushAsync(Segment segment)
    {
        try
        {
            await store.WriteResultSegmentAsync(segment.BatchId, segment.FirstChunk, segment.LastChunk, Encode(segment.Lines), CancellationToken.None).ConfigureAwait(false);
            segment.Done.TrySetResult();
        }
        catch (Exception e)
        {
            segment.Done.TrySetException(e);
        }
    }

    private sealed class Segment(string batchId, int chunk)
    {
        public string BatchId { get; } = batchId;

        public int FirstChunk { get; private set; } = chunk;

        public int LastChunk { get; private set; } = chunk;

        public List<(int Index, byte[] Line)> Lines { get; } = [];

        /// <summary>Whether a line of <paramref name="chunk"/> keeps this segment within <see cref="MaxChunksPerSegment"/> chunks.</summary>
        public bool CanSpan(int chunk) => Math.Max(LastChunk, chunk) - Math.Min(FirstChunk, chunk) < MaxChunksPerSegment;

        public void Add(int index, int chunk, byte[] line)
        {
            Lines.Add((index, line));
            FirstChunk = Math.Min(FirstChunk, chunk);
            LastChunk = Math.Max(LastChunk, chunk);
        }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
