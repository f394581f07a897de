namespace Fanout.Client.Models;

/// <summary><c>cost</c> of a batch object: the total and the split by tier; null where a price is missing.</summary>
/// <param name="Currency">The prices' currency.</param>
/// <param name="Total">The cost so far; null when a tier's price is unknown.</param>
/// <param name="ByTier">The cost of each tier's lines.</param>
public sealed record BatchCostFigures(string Currency, decimal? Total, TierAmounts ByTier);
