using Fanout.Core.Estimates;

namespace Fanout.Core.Cost;

/// <summary>
/// The prices a batch is charged at: <c>Fanout:Pricing</c> as it stood when the batch was submitted (kept in its
/// orchestration input, so the cost a batch shows never changes under it).
/// </summary>
/// <param name="Currency">The currency of every price.</param>
/// <param name="Models">The price of each model (by the name lines and pools use).</param>
public sealed record BatchPricing(string Currency, IReadOnlyDictionary<string, ModelPrice> Models);
