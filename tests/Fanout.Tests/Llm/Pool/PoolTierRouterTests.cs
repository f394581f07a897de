using Fanout.Core.Llm;
using Fanout.Core.Llm.Pool;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Fanout.Tests.Llm.Pool;

/// <summary>Tiers in the router: provisioned first while it has quota, standard only for the spillover, batch never live.</summary>
public sealed class PoolTierRouterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_provisioned_member_with_quota_takes_the_call_even_when_a_standard_member_has_more_left()
    {
        var router = Router(("s", PoolTier.Standard), ("p", PoolTier.Provisioned));
        Answer(router, "p", 2_000);
        Answer(router, "p", 1_000);

        Assert.Equal("p", Pick(router));
    }

    [Fact]
    public void Standard_takes_the_calls_provisioned_has_no_quota_for_and_provisioned_takes_them_back_when_its_quota_returns()
    {
        var router = Router(("s", PoolTier.Standard), ("p", PoolTier.Provisioned));

        // p reports 2,000 then 1,000 tokens left: a call costs 1,000, so it has room for exactly one more.
        Answer(router, "p", 2_000);
        Answer(router, "p", 1_000);
        var last = PickIndex(router);
        Assert.Equal("p", router.Members[last].Name);

        // No quota left on p: the next calls spill over to s.
        Assert.Equal("s", Pick(router));
        Assert.Equal("s", Pick(router));
        router.Complete(last, Ok(0));
        Assert.Equal("s", Pick(router));

        // Its report goes stale as the service's window moves on: p is tried again before s.
        _time.Advance(PoolRouter.StaleAfter + TimeSpan.FromMilliseconds(1));
        Assert.Equal("p", Pick(router));
    }

    [Fact]
    public void A_429_from_provisioned_spills_to_standard_until_its_retry_after()
    {
        var router = Router(("p", PoolTier.Provisioned), ("s", PoolTier.Standard));
        var p = PickIndex(router);
        Assert.Equal("p", router.Members[p].Name);
        router.Complete(p, new ChatCallResult(429, default, null, TimeSpan.FromSeconds(3)));

        Assert.Equal("s", Pick(router));
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal("p", Pick(router));
    }

    [Fact]
    public void Without_standard_spend_a_call_waits_for_provisioned_quota_and_is_told_when()
    {
        var router = Router(("p", PoolTier.Provisioned), ("s", PoolTier.Standard));
        var p = PickIndex(router);
        router.Complete(p, new ChatCallResult(429, default, null, TimeSpan.FromSeconds(5)));

        Assert.False(router.TryPick(out _, out var next, allowStandard: false));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(5), next);
        Assert.True(router.TryPick(out var spilled, out _, allowStandard: true));
        Assert.Equal("s", router.Members[spilled].Name);
    }

    [Fact]
    public void A_batch_member_is_never_picked_for_a_live_call()
    {
        var router = Router(("b", PoolTier.Batch), ("s", PoolTier.Standard));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("s", Pick(router));
        }

        var only = Router(("b", PoolTier.Batch));
        Assert.False(only.TryPick(out _, out var next));
        Assert.Equal(DateTimeOffset.MaxValue, next);
    }

    [Fact]
    public void Without_tiers_every_member_is_standard_as_before()
    {
        var options = new PoolOptions();
        PoolConfiguration.Read(Config(("Fanout:OpenAI:Pool:0:Endpoint", "http://127.0.0.1:1/"), ("Fanout:OpenAI:Pool:0:Deployment", "d")), options);

        Assert.Empty(options.Errors);
        Assert.Equal(PoolTier.Standard, Assert.Single(options.Members).Tier);
    }

    [Theory]
    [InlineData("Provisioned", PoolTier.Provisioned)]
    [InlineData("batch", PoolTier.Batch)]
    [InlineData("standard", PoolTier.Standard)]
    public void The_tier_is_read_in_any_case(string text, string tier)
    {
        var options = new PoolOptions();
        PoolConfiguration.Read(
            Config(("Fanout:OpenAI:Pool:0:Endpoint", "http://127.0.0.1:1/"), ("Fanout:OpenAI:Pool:0:Deployment", "d"), ("Fanout:OpenAI:Pool:0:Tier", text)), options);

        Assert.Empty(options.Errors);
        Assert.Equal(tier, Assert.Single(options.Members).Tier);
    }

    [Fact]
    public void An_unknown_tier_is_a_start_error_naming_its_key()
    {
        var options = new PoolOptions();
        PoolConfiguration.Read(
            Config(("Fanout:OpenAI:Pool:0:Endpoint", "http://127.0.0.1:1/"), ("Fanout:OpenAI:Pool:0:Deployment", "d"), ("Fanout:OpenAI:Pool:0:Tier", "ptu")), options);

        Assert.Equal("Fanout:OpenAI:Pool:0:Tier must be provisioned, standard or batch, not 'ptu'.", Assert.Single(options.Errors));
    }

    private static IConfiguration Config(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static ChatCallResult Ok(long remaining) => new(200, default, null, null, RemainingTokens: remaining);

    private static int PickIndex(PoolRouter router)
    {
        Assert.True(router.TryPick(out var index, out _));
        return index;
    }

    private static string Pick(PoolRouter router) => router.Members[PickIndex(router)].Name;

    private static void Answer(PoolRouter router, string expected, long remaining)
    {
        var index = PickIndex(router);
        Assert.Equal(expected, router.Members[index].Name);
        router.Complete(index, Ok(remaining));
    }

    private PoolRouter Router(params (string Name, string Tier)[] members)
        => new(members.Select(m => new PoolMember($"Fanout:OpenAI:Pool:{m.Name}", m.Name, new Uri("http://127.0.0.1:1/"), m.Name, null, "m", Tier: m.Tier)).ToArray(), _time);
}
