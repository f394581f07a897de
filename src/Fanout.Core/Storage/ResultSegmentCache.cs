using System.Collections.Concurrent;

namespace Fanout.Core.Storage;

/// <summary>
/// Result segments this process wrote or read, kept in memory (up to 256 MB) so that a finalize here reads them from
/// memory instead of downloading them again: segment names are unique and never rewritten, so the copy is the blob.
/// When full (batches that never finalize here, e.g. terminated ones, would otherwise pin it) it starts again; a
/// finalize then downloads what is no longer held.
/// </summary>
internal sealed class ResultSegmentCache
{
    private const long MaxSegmentBytes = 256L * 1024 * 1024;
    private readonly ConcurrentDictionary<string, byte[]> _segments = new(StringComparer.Ordinal);
    private long _segmentBytes;

    /// <summary>The segment named <paramref name="name"/>, when held.</summary>
    public bool TryGet(string name, out byte[] segment) => _segments.TryGetValue(name, out segment!);

    /// <summary>Keeps a segment.</summary>
    public void Remember(string name, byte[] segment)
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

    /// <summary>The names of the segments of a batch held here.</summary>
    public IEnumerable<string> NamesOf(string batchId)
    {
        var prefix = BatchBlobLayout.WorkPrefix(batchId);
        return _segments.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>How many segments of a batch are held.</summary>
    public int CountOf(string batchId)
    {
        return NamesOf(batchId).Count();
    }

    /// <summary>Drops every segment of a batch.</summary>
    public void Forget(string batchId)
    {
        var prefix = BatchBlobLayout.WorkPrefix(batchId);
        foreach (var name in _segments.Keys)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && _segments.TryRemove(name, out var segment))
            {
                Interlocked.Add(ref _segmentBytes, -segment.Length);
            }
        }
    }
}
