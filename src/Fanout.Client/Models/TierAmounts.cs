namespace Fanout.Client.Models;

/// <summary>An amount per pool tier (<c>cost.by_tier</c>); null where unknown.</summary>
/// <param name="Provisioned">Provisioned deployments.</param>
/// <param name="Standard">Standard (pay-as-you-go) deployments.</param>
/// <param name="Batch">The upstream Batch API.</param>
public sealed record TierAmounts(decimal? Provisioned, decimal? Standard, decimal? Batch);
