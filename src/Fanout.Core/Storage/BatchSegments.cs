namespace Fanout.Core.Storage;

/// <summary>The result segments of one batch, by chunk, as one listing found them (<see cref="ChunkResultGatherer.ListAsync"/>).</summary>
internal sealed class BatchSegments(IReadOnlyDictionary<int, List<string>> byChunk)
{
    private HashSet<string>? _names;

    /// <summary>How many segments the listing found.</summary>
    public int Count => byChunk.Values.Sum(n => n.Count);

    /// <summary>The segment names of chunk <paramref name="chunk"/> (none when it has none).</summary>
    public IReadOnlyList<string> Of(int chunk) => byChunk.TryGetValue(chunk, out var names) ? names : [];

    /// <summary>Whether the listing found segment <paramref name="name"/>.</summary>
    public bool Contains(string name) => (_names ??= byChunk.Values.SelectMany(n => n).ToHashSet(StringComparer.Ordinal)).Contains(name);
}
