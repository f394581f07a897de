using Fanout.Core.Llm.Pool;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Estimates;

/// <summary>
/// What an estimate needs, per model: prices (<see cref="PricingOptions"/>) and quota (the sum of
/// <c>Fanout:OpenAI:Pool:{i}:TokensPerMinute</c> over the live members whose <c>:Model</c>, default <c>:Deployment</c>, is
/// the model; else the <see cref="SimulatedQuota"/> when the built-in simulator is the LLM). Read when asked, so a
/// configuration reload is seen.
/// </summary>
public sealed class EstimateSettings(
    IOptionsMonitor<PricingOptions> pricing, IOptionsMonitor<EstimateOptions> estimate, IOptionsMonitor<PoolOptions> pool, SimulatedQuota? simulator = null)
{
    /// <summary>Output tokens counted for a line that sets neither <c>max_completion_tokens</c> nor <c>max_tokens</c>, by default.</summary>
    public const int DefaultMaxCompletionTokens = 4096;

    /// <summary>The currency of the prices (<c>Fanout:Pricing:Currency</c>, default USD).</summary>
    public string Currency => pricing.CurrentValue.Currency;

    /// <summary>Output tokens counted for a line without a bound (<c>Fanout:Estimate:DefaultMaxCompletionTokens</c>).</summary>
    public int MaxCompletionTokensWhenUnset => estimate.CurrentValue.DefaultMaxCompletionTokens;

    /// <summary>The prices of <paramref name="model"/> per million tokens, or null when either is not configured.</summary>
    public ModelPrice? PriceOf(string model) => pricing.CurrentValue.Models.TryGetValue(model, out var price) ? price : null;

    /// <summary>Every configured price, as a batch submitted now is charged (see <see cref="Cost.BatchPricing"/>).</summary>
    public Cost.BatchPricing Pricing()
    {
        var prices = pricing.CurrentValue;
        return new Cost.BatchPricing(prices.Currency, new SortedDictionary<string, ModelPrice>(prices.Models, StringComparer.Ordinal));
    }

    /// <summary>Whether the pool of <paramref name="model"/> has a <c>batch</c> member (<c>Fanout:OpenAI:Pool:{i}:Tier</c>).</summary>
    public bool HasBatchMember(string model)
        => pool.CurrentValue.Members.Any(m => string.Equals(m.Model, model, StringComparison.Ordinal) && string.Equals(m.Tier, PoolTier.Batch, StringComparison.OrdinalIgnoreCase));

    /// <summary>Tokens per minute the quota admits for <paramref name="model"/>, or null when none is configured.</summary>
    public long? TokensPerMinuteOf(string model)
    {
        var quotas = pool.CurrentValue.Members
            .Where(m => string.Equals(m.Model, model, StringComparison.Ordinal) && !string.Equals(m.Tier, PoolTier.Batch, StringComparison.OrdinalIgnoreCase) && m.TokensPerMinute is > 0)
            .Select(m => m.TokensPerMinute!.Value)
            .ToList();
        if (quotas.Count > 0)
        {
            return quotas.Sum();
        }

        // The simulator's quota is per deployment, like Azure's.
        return simulator is { TokensPerMinute: > 0 } ? simulator.TokensPerMinute : null;
    }
}
