namespace Fanout.Core.Storage;

/// <summary>
/// The result segments of one batch, by chunk, as one listing found them (<see cref="ChunkResultGatherer.ListAsync"/>),
/// plus those this process uploaded that the listing did not return (<see cref="Unlisted"/>).
/// </summary>
internal sealed class BatchSegments(IReadOnlyDictionary<int, List<string>> byChunk, IReadOnlyList<string>? unlisted = null)
{
    /// <summary>How many segments the listing found.</summary>
    public int Count => byChunk.Values.Sum(n => n.Count);

    /// <summary>Segments storage acknowledged to this process but its listing did not return (normally none).</summary>
    public IReadOnlyList<string> Unlisted { get; } = unlisted ?? [];

    /// <summary>The segment names of chunk <paramref name="chunk"/> (none when it has none).</summary>
    public IReadOnlyList<string> Of(int chunk) => byChunk.TryGetValue(chunk, out var names) ? names : [];
}
