using Fanout.Core.Cost;
using Fanout.Core.Estimates;
using Fanout.Core.Llm.Pool;
using Fanout.Core.Models;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Fanout.Tests.Cost;

/// <summary>The cost on every batch: by tier, provisioned free, batch at its discount, null where a price is missing.</summary>
public sealed class BatchCostTests
{
    private static readonly BatchPricing Prices = new("EUR", new Dictionary<string, ModelPrice>
    {
        ["gpt"] = new(2m, 8m),
        ["cheap"] = new(1m, 4m, 0.4m),
    });

    [Fact]
    public void Provisioned_lines_cost_nothing_standard_the_full_price_and_batch_the_discounted_one()
    {
        var usage = new Dictionary<string, DeploymentUsage>
        {
            ["ptu"] = new(10, 1_000_000, 1_000_000, Tier: PoolTier.Provisioned, Model: "gpt", Lines: 10),
            ["paygo"] = new(3, 1_000_000, 500_000, Tier: PoolTier.Standard, Model: "gpt", Lines: 3),
            ["global-batch"] = new(0, 2_000_000, 1_000_000, Tier: PoolTier.Batch, Model: "gpt", Lines: 7),
        };

        var cost = BatchCost.Of(Prices, usage);

        // Standard: 1 M × 2 + 0.5 M × 8 = 6. Batch: (2 M × 2 + 1 M × 8) × 0.5 = 6.
        Assert.Equal(new BatchCost("EUR", 12m, new TierCosts(0m, 6m, 6m)), cost);
        Assert.Equal(new LinesByTier(10, 3, 7, 0), LinesByTier.Of(usage));
    }

    [Fact]
    public void A_model_without_a_price_makes_its_tier_and_the_total_null_but_not_the_other_tiers()
    {
        var usage = new Dictionary<string, DeploymentUsage>
        {
            ["a"] = new(1, 100, 100, Tier: PoolTier.Standard, Model: "unpriced", Lines: 1),
            ["b"] = new(0, 1_000_000, 0, Tier: PoolTier.Batch, Model: "cheap", Lines: 1),
        };

        var cost = BatchCost.Of(Prices, usage);

        Assert.Null(cost.Total);
        Assert.Null(cost.ByTier.Standard);
        Assert.Equal(0.4m, cost.ByTier.Batch);
        Assert.Equal(0m, cost.ByTier.Provisioned);
    }

    [Fact]
    public void Calls_without_tokens_cost_nothing_and_entries_saved_before_tiers_count_as_standard_by_their_name()
    {
        var usage = new Dictionary<string, DeploymentUsage>
        {
            ["gpt"] = new(2, 1_000_000, 0),
            ["throttled"] = new(5, RateLimited: 5, Model: "unpriced"),
        };

        var cost = BatchCost.Of(Prices, usage);

        Assert.Equal(new BatchCost("EUR", 2m, new TierCosts(0m, 2m, 0m)), cost);
    }

    [Fact]
    public void The_calls_of_a_line_count_one_line_for_the_member_that_answered_it()
    {
        var usage = MemberCall.Sum(
        [
            new MemberCall("ptu", 429, Tier: PoolTier.Provisioned, Model: "gpt"),
            new MemberCall("paygo", 200, 10, 5, PoolTier.Standard, "gpt"),
        ]);

        Assert.NotNull(usage);
        Assert.Equal(new LinesByTier(0, 1, 0), LinesByTier.Of(usage));
        Assert.Equal(PoolTier.Provisioned, usage["ptu"].Tier);
        Assert.Equal(0, usage["ptu"].Lines);
        Assert.Equal(1, usage["paygo"].Lines);
        Assert.Equal(2, usage["paygo"].Add(usage["paygo"]).Lines);
    }

    [Fact]
    public void The_batch_discount_is_read_per_model_and_defaults_to_one_half()
    {
        var settings = Estimates.TestEstimateSettings.From(new Dictionary<string, string?>
        {
            ["Fanout:Pricing:Currency"] = "EUR",
            ["Fanout:Pricing:a:InputPerMillion"] = "1",
            ["Fanout:Pricing:a:OutputPerMillion"] = "2",
            ["Fanout:Pricing:b:InputPerMillion"] = "1",
            ["Fanout:Pricing:b:OutputPerMillion"] = "2",
            ["Fanout:Pricing:b:BatchDiscount"] = "0.4",
            ["Fanout:Pricing:c:InputPerMillion"] = "1",
        });

        var pricing = settings.Pricing();

        Assert.Equal("EUR", pricing.Currency);
        Assert.Equal(["a", "b"], pricing.Models.Keys);
        Assert.Equal(0.5m, pricing.Models["a"].BatchDiscount);
        Assert.Equal(0.4m, pricing.Models["b"].BatchDiscount);
    }
}
