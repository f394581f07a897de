namespace Fanout.Core.Storage;

/// <summary>
/// The result segments of one batch, by chunk, as one listing found them (<see cref="ChunkResultGatherer.ListAsync"/>),
/// and those this process uploaded that the listing did not return (<see cref="Unlisted"/>, not used).
/// </summary>
internal sealed class BatchSegments(IReadOnlyDictionary<int, List<string>> byChunk, IReadOnlyList<string>? unlisted = null)
{
    /// <summary>How many segments the listing found.</summary>
    public int Count => byChunk.Values.Sum(n => n.Count);

    /// <summary>Segments storage acknowledged to this process that its listing did not return (normally none; not read).</summary>
    public IReadOnlyList<string> Unlisted { get; } = unlisted ?? [];

    /// <summary>The segment names of chunk <paramref name="chunk"/> (none when it has none).</summary>
    public IReadOnlyList<string> Of(int chunk) => byChunk.TryGetValue(chunk, out var names) ? names : [];
}
