using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Fanout.Core.Estimates;

/// <summary>
/// What an estimate reads from configuration, per model: prices (<c>Fanout:Pricing:{model}:InputPerMillion</c>,
/// <c>:OutputPerMillion</c>, <c>Fanout:Pricing:Currency</c>) and quota (the sum of
/// <c>Fanout:OpenAI:Pool:{i}:TokensPerMinute</c> over the members whose <c>:Model</c>, default <c>:Deployment</c>, is the
/// model; else the <see cref="SimulatedQuota"/> when the built-in simulator is the LLM). Read when asked, so a
/// configuration reload is seen.
/// </summary>
public sealed class EstimateSettings(IConfiguration configuration, SimulatedQuota? simulator = null)
{
    /// <summary>Output tokens counted for a line that sets neither <c>max_completion_tokens</c> nor <c>max_tokens</c>.</summary>
    public const int DefaultMaxCompletionTokens = 4096;

    /// <summary>The currency of the prices (<c>Fanout:Pricing:Currency</c>, default USD).</summary>
    public string Currency => configuration["Fanout:Pricing:Currency"] is { Length: > 0 } c ? c : "USD";

    /// <summary>Output tokens counted for a line without a bound (<c>Fanout:Estimate:DefaultMaxCompletionTokens</c>).</summary>
    public int MaxCompletionTokensWhenUnset
        => int.TryParse(configuration["Fanout:Estimate:DefaultMaxCompletionTokens"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : DefaultMaxCompletionTokens;

    /// <summary>The prices of <paramref name="model"/> per million tokens, or null when either is not configured.</summary>
    public ModelPrice? PriceOf(string model)
    {
        var section = configuration.GetSection("Fanout:Pricing").GetSection(model);
        return Decimal(section["InputPerMillion"]) is { } input && Decimal(section["OutputPerMillion"]) is { } output
            ? new ModelPrice(input, output, Decimal(section["BatchDiscount"]) is decimal discount && discount <= 1 ? discount : ModelPrice.DefaultBatchDiscount)
            : null;
    }

    /// <summary>Every configured price, as a batch submitted now is charged (see <see cref="Cost.BatchPricing"/>).</summary>
    public Cost.BatchPricing Pricing()
    {
        var models = new SortedDictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection("Fanout:Pricing").GetChildren())
        {
            if (PriceOf(section.Key) is { } price)
            {
                models[section.Key] = price;
            }
        }

        return new Cost.BatchPricing(Currency, models);
    }

    /// <summary>Whether the pool of <paramref name="model"/> has a <c>batch</c> member (<c>Fanout:OpenAI:Pool:{i}:Tier</c>).</summary>
    public bool HasBatchMember(string model)
        => configuration.GetSection("Fanout:OpenAI:Pool").GetChildren().Any(member =>
            string.Equals(member["Model"] is { Length: > 0 } m ? m : member["Deployment"], model, StringComparison.Ordinal)
            && string.Equals(member["Tier"], Llm.Pool.PoolTier.Batch, StringComparison.OrdinalIgnoreCase));

    /// <summary>Tokens per minute the quota admits for <paramref name="model"/>, or null when none is configured.</summary>
    public long? TokensPerMinuteOf(string model)
    {
        long sum = 0;
        var found = false;
        foreach (var member in configuration.GetSection("Fanout:OpenAI:Pool").GetChildren())
        {
            var name = member["Model"] is { Length: > 0 } m ? m : member["Deployment"];
            if (string.Equals(name, model, StringComparison.Ordinal)
                && !string.Equals(member["Tier"], Llm.Pool.PoolTier.Batch, StringComparison.OrdinalIgnoreCase)
                && long.TryParse(member["TokensPerMinute"], NumberStyles.None, CultureInfo.InvariantCulture, out var tpm) && tpm > 0)
            {
                sum += tpm;
                found = true;
            }
        }

        if (found)
        {
            return sum;
        }

        // The simulator's quota is per deployment, like Azure's.
        return simulator is { TokensPerMinute: > 0 } ? simulator.TokensPerMinute : null;
    }

    private static decimal? Decimal(string? value)
        => decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) && d >= 0 ? d : null;
}

/// <summary>Prices of one model, per million tokens; Batch API lines cost them times <paramref name="BatchDiscount"/>.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion, decimal BatchDiscount = ModelPrice.DefaultBatchDiscount)
{
    /// <summary>The Batch API's price as a share of the live one (<c>Fanout:Pricing:{model}:BatchDiscount</c>, default 0.5).</summary>
    public const decimal DefaultBatchDiscount = 0.5m;
}
