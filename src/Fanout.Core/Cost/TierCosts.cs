namespace Fanout.Core.Cost;

/// <summary>What the lines of each tier cost (<c>cost.by_tier</c>); null where a price is missing.</summary>
/// <param name="Provisioned">Always 0: provisioned capacity is already paid for.</param>
/// <param name="Standard">Pay-as-you-go lines at the full price.</param>
/// <param name="Batch">Batch API lines at the full price times the model's <c>BatchDiscount</c>.</param>
public sealed record TierCosts(decimal? Provisioned, decimal? Standard, decimal? Batch);
