using Fanout.Core.Llm;
using Fanout.Core.Llm.Pool;
using Xunit;

namespace Fanout.Tests.Llm.Pool;

/// <summary>The router's choice of member: by quota left and weight, never a member resting after a 429 or a failure.</summary>
public sealed class PoolRouterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_call_goes_to_the_member_with_the_most_quota_left()
    {
        var router = Router(("a", 1), ("b", 1), ("c", 1));
        Report(router, ("a", 1_000), ("b", 50_000), ("c", 20_000));

        Assert.Equal("b", Pick(router));
    }

    [Fact]
    public void Calls_sent_since_a_report_count_against_that_member_quota()
    {
        var router = Router(("a", 1), ("b", 1));
        Report(router, ("a", 10_000), ("b", 10_000));

        // Learn what a call costs: two reports 1,000 tokens apart, one call apart.
        var first = PickIndex(router);
        router.Complete(first, Ok(remaining: 9_000));
        var next = PickIndex(router);

        // The member that just spent 1,000 has less left: the other one gets the next call.
        Assert.NotEqual(first, next);
    }

    [Fact]
    public void Weight_scales_the_quota_left()
    {
        var router = Router(("a", 3), ("b", 1));
        Report(router, ("a", 20_000), ("b", 50_000));

        Assert.Equal("a", Pick(router));
    }

    [Fact]
    public void A_member_with_no_report_is_tried_one_call_at_a_time_until_it_reports()
    {
        var router = Router(("a", 1), ("b", 1));
        Report(router, ("a", 5_000));

        // b has never reported: it gets one call (a probe), and no second one while that is in flight.
        Assert.Equal("b", Pick(router));
        Assert.Equal("a", Pick(router));
        Assert.Equal("a", Pick(router));
    }

    [Fact]
    public void A_member_is_not_used_while_it_cools_down_after_a_429_and_is_used_again_after_its_retry_after()
    {
        var router = Router(("a", 1), ("b", 1));
        Report(router, ("a", 90_000), ("b", 10_000));
        var a = Index(router, "a");
        Assert.True(router.TryPick(out var picked, out _));
        Assert.Equal(a, picked);

        router.Complete(a, Throttled(TimeSpan.FromSeconds(2)));
        for (var step = 0; step < 19; step++)
        {
            Assert.Equal("b", PickAndAnswer(router, remaining: 80_000 - step));
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        _time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Contains("a", Enumerable.Range(0, 3).Select(_ => PickAndAnswer(router, remaining: 1)));
    }

    [Fact]
    public void When_every_member_cools_down_no_member_is_picked_and_the_first_reopening_is_named()
    {
        var router = Router(("a", 1), ("b", 1));
        var a = PickIndex(router);
        var b = PickIndex(router);
        router.Complete(a, Throttled(TimeSpan.FromSeconds(3)));
        router.Complete(b, Throttled(TimeSpan.FromSeconds(7)));

        Assert.False(router.TryPick(out _, out var next));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(3), next);
    }

    [Fact]
    public void A_member_whose_throttle_gate_is_closed_is_not_used()
    {
        var gateClosedUntil = _time.GetUtcNow() + TimeSpan.FromSeconds(1);
        var router = new PoolRouter([Member("a"), Member("b")], _time, i => i == 0 ? gateClosedUntil : null);

        Assert.All(Enumerable.Range(0, 5), _ => Assert.Equal("b", PickAndAnswer(router, remaining: 1_000)));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("a", Enumerable.Range(0, 3).Select(_ => PickAndAnswer(router, remaining: 1_000)));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(0)]
    [InlineData(408)]
    public void A_failing_member_rests_with_a_backoff_that_doubles_then_gets_one_probe_at_a_time(int status)
    {
        var router = Router(("a", 1), ("b", 1));
        Report(router, ("a", 90_000), ("b", 1_000));
        var a = Index(router, "a");

        Fail(router, a, status);
        Assert.Equal("b", PickAndAnswer(router, remaining: 1_000));
        _time.Advance(PoolRouter.FirstFailureBackoff);

        // Back after the first backoff: one call only, while it is in flight.
        Assert.Equal(a, PickIndex(router));
        Assert.Equal("b", PickAndAnswer(router, remaining: 1_000));

        // It fails again: twice as long.
        router.Complete(a, new ChatCallResult(status, default, null, null));
        _time.Advance(PoolRouter.FirstFailureBackoff);
        Assert.Equal("b", PickAndAnswer(router, remaining: 1_000));
        _time.Advance(PoolRouter.FirstFailureBackoff);

        // It recovers: used as before.
        Assert.Equal(a, PickIndex(router));
        router.Complete(a, Ok(remaining: 90_000));
        Assert.Equal("a", PickAndAnswer(router, remaining: 89_000));
        Assert.Equal(0, router.Snapshot()[a].Failures);
    }

    [Fact]
    public void A_member_whose_quota_looks_used_up_is_paced_by_its_hint_instead_of_sent_every_call()
    {
        // 60,000 tokens a minute is 1,000 a second; a call costs 100 (two reports one call apart): one call per ~0.1 s.
        var member = Member("a") with { TokensPerMinute = 60_000 };
        var router = new PoolRouter([member], _time);
        router.Complete(PickIndex(router), Ok(remaining: 150));
        router.Complete(PickIndex(router), Ok(remaining: 50));

        // 50 left, less than a call: the next call goes, the one after waits its turn.
        Assert.True(router.TryPick(out _, out _));
        Assert.False(router.TryPick(out _, out var next));
        var gap = next - _time.GetUtcNow();
        Assert.InRange(gap, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(100));
        _time.Advance(gap);
        Assert.True(router.TryPick(out _, out _));
    }

    [Fact]
    public void A_line_error_is_not_held_against_the_member()
    {
        var router = Router(("a", 1));
        var a = PickIndex(router);
        router.Complete(a, new ChatCallResult(400, default, null, null));

        Assert.True(router.TryPick(out _, out _));
    }

    [Fact]
    public void A_stale_report_is_forgotten_and_the_member_probed_again()
    {
        var router = Router(("a", 1), ("b", 1));
        Report(router, ("a", 10), ("b", 50_000));
        Assert.Equal("b", PickAndAnswer(router, remaining: 49_000));

        _time.Advance(PoolRouter.StaleAfter + TimeSpan.FromMilliseconds(1));

        // a's report of 10 tokens is old: its window has moved on, so it is asked again (as is b, whose report is old too).
        Assert.Contains("a", new[] { Pick(router), Pick(router) });
    }

    private static PoolMember Member(string name, double weight = 1)
        => new($"Fanout:OpenAI:Pool:{name}", name, new Uri("http://127.0.0.1:1/"), name, null, "m", weight);

    private static ChatCallResult Ok(long remaining) => new(200, default, null, null, RemainingTokens: remaining);

    private static ChatCallResult Throttled(TimeSpan retryAfter) => new(429, default, null, retryAfter);

    private static int Index(PoolRouter router, string name) => router.Members.Select(m => m.Name).ToList().IndexOf(name);

    private static int PickIndex(PoolRouter router)
    {
        Assert.True(router.TryPick(out var index, out _));
        return index;
    }

    private static string Pick(PoolRouter router) => router.Members[PickIndex(router)].Name;

    private static string PickAndAnswer(PoolRouter router, long remaining)
    {
        var index = PickIndex(router);
        router.Complete(index, Ok(remaining));
        return router.Members[index].Name;
    }

    private static void Fail(PoolRouter router, int member, int status)
    {
        // Answer whatever calls are picked until the member itself is picked, then fail it.
        while (true)
        {
            var index = PickIndex(router);
            if (index == member)
            {
                router.Complete(index, new ChatCallResult(status, default, null, null));
                return;
            }

            router.Complete(index, Ok(1_000));
        }
    }

    private PoolRouter Router(params (string Name, double Weight)[] members)
        => new(members.Select(m => Member(m.Name, m.Weight)).ToArray(), _time);

    /// <summary>Each member reports its remaining tokens once (they all start unknown and are probed).</summary>
    private static void Report(PoolRouter router, params (string Name, long Remaining)[] reports)
    {
        var picks = reports.Select(_ => PickIndex(router)).ToList();
        foreach (var (name, remaining) in reports)
        {
            var index = Index(router, name);
            Assert.Contains(index, picks);
            router.Complete(index, Ok(remaining));
        }
    }
}
