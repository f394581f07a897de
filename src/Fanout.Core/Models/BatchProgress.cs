namespace Fanout.Core.Models;

/// <summary>Custom status of a running batch or chunk orchestration.</summary>
public sealed record BatchProgress(string State, int Total, BatchCounts Counts, int Window, IReadOnlyList<int>? RunningChunks = null);
