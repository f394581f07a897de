using Fanout.Core.Llm.Pool;
using Fanout.Core.Models;

namespace Fanout.Core.Cost;

/// <summary>The cost of a batch so far (<c>cost</c> of the batch object): its total and its split by tier; null where a price is missing.</summary>
/// <param name="Currency">The prices' currency.</param>
/// <param name="Total">The sum of <paramref name="ByTier"/>; null when any of them is.</param>
/// <param name="ByTier">The cost of each tier's lines.</param>
public sealed record BatchCost(string Currency, decimal? Total, TierCosts ByTier)
{
    /// <summary>
    /// The cost of the tokens in <paramref name="usage"/> (per pool member, each with its tier and model) at
    /// <paramref name="pricing"/>: provisioned tokens cost 0, standard tokens the model's price, batch tokens that price
    /// times its batch discount. A tier that used a model without a price costs null (any figure would be made up).
    /// </summary>
    public static BatchCost Of(BatchPricing? pricing, IReadOnlyDictionary<string, DeploymentUsage>? usage)
    {
        decimal? standard = 0, batch = 0;
        foreach (var (name, u) in usage ?? new Dictionary<string, DeploymentUsage>())
        {
            var tier = u.Tier ?? PoolTier.Standard;
            if (tier == PoolTier.Provisioned || (u.PromptTokens == 0 && u.CompletionTokens == 0))
            {
                continue;
            }

            decimal? cost = pricing is not null && pricing.Models.TryGetValue(u.Model ?? name, out var price)
                ? ((u.PromptTokens * price.InputPerMillion) + (u.CompletionTokens * price.OutputPerMillion)) / 1_000_000m * (tier == PoolTier.Batch ? price.BatchDiscount : 1m)
                : null;
            if (tier == PoolTier.Batch)
            {
                batch += cost;
            }
            else
            {
                standard += cost;
            }
        }

        return new BatchCost(pricing?.Currency ?? "USD", standard + batch, new TierCosts(0m, standard, batch));
    }
}
