namespace Fanout.Client.Models;

/// <summary>A page of <c>GET /api/batches</c>, newest first.</summary>
/// <param name="Data">The batches of the page.</param>
/// <param name="HasMore">Whether older batches follow (ask again with <c>after</c> = the last id).</param>
public sealed record BatchPage(IReadOnlyList<FanoutBatch> Data, bool HasMore);
