namespace Fanout.Client.Models;

/// <summary><c>lines_by_tier</c> of a batch object: the lines each tier answered, and those answered from the cache.</summary>
/// <param name="Provisioned">Lines answered by provisioned deployments.</param>
/// <param name="Standard">Lines answered by standard deployments.</param>
/// <param name="Batch">Lines answered through the upstream Batch API.</param>
/// <param name="Cached">Lines answered from the response cache or a twin line.</param>
public sealed record TierLineCounts(long Provisioned, long Standard, long Batch, long Cached);
