using Fanout.Simulator.RateLimiting;
using Xunit;

namespace Fanout.Tests.Simulator;

public sealed class SlidingWindowRateLimiterTests
{
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void Limiter_admits_up_to_rpm_then_rejects()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);

        var decisions = Enumerable.Range(0, 4).Select(_ => limiter.TryAcquire("d", 1, requestsPerMinute: 3, tokensPerMinute: 0)).ToList();

        Assert.Equal([true, true, true, false], decisions.Select(d => d.IsAdmitted));
        Assert.Equal([2L, 1L, 0L, 0L], decisions.Select(d => d.RemainingRequests!.Value));
        Assert.All(decisions, d => Assert.Null(d.RemainingTokens));
    }

    [Fact]
    public void Limiter_rejects_when_tokens_in_window_exceed_tpm()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);

        var first = limiter.TryAcquire("d", 600, requestsPerMinute: 0, tokensPerMinute: 1000);
        var second = limiter.TryAcquire("d", 401, requestsPerMinute: 0, tokensPerMinute: 1000);
        var third = limiter.TryAcquire("d", 400, requestsPerMinute: 0, tokensPerMinute: 1000);

        Assert.True(first.IsAdmitted);
        Assert.Equal(400, first.RemainingTokens);
        Assert.False(second.IsAdmitted);
        Assert.Equal(400, second.RemainingTokens);
        Assert.True(third.IsAdmitted);
        Assert.Equal(0, third.RemainingTokens);
        Assert.Null(third.RemainingRequests);
    }

    [Fact]
    public void Limiter_retry_after_is_time_until_oldest_request_leaves_window()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        limiter.TryAcquire("d", 1, 2, 0);
        _clock.Advance(TimeSpan.FromSeconds(10));
        limiter.TryAcquire("d", 1, 2, 0);
        _clock.Advance(TimeSpan.FromSeconds(5.5));

        var rejected = limiter.TryAcquire("d", 1, 2, 0);

        Assert.False(rejected.IsAdmitted);
        Assert.Equal(TimeSpan.FromSeconds(44.5), rejected.RetryAfter);
        Assert.Equal(44_500, rejected.RetryAfterMilliseconds);
        Assert.Equal(45, rejected.RetryAfterSeconds);
    }

    [Fact]
    public void Limiter_retry_after_waits_for_enough_tokens_to_expire()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        limiter.TryAcquire("d", 300, 0, 1000); // t = 0
        _clock.Advance(TimeSpan.FromSeconds(1));
        limiter.TryAcquire("d", 300, 0, 1000); // t = 1
        _clock.Advance(TimeSpan.FromSeconds(1));
        limiter.TryAcquire("d", 300, 0, 1000); // t = 2
        _clock.Advance(TimeSpan.FromSeconds(1));

        // 900 used; 700 more needs 600 freed: the entries of t = 0 and t = 1, so the window must pass t = 1.
        var rejected = limiter.TryAcquire("d", 700, 0, 1000);

        Assert.False(rejected.IsAdmitted);
        Assert.Equal(TimeSpan.FromSeconds(58), rejected.RetryAfter);
    }

    [Fact]
    public void Limiter_readmits_exactly_when_retry_after_has_passed()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        Assert.True(limiter.TryAcquire("d", 10, 1, 0).IsAdmitted);
        _clock.Advance(TimeSpan.FromSeconds(20));
        var rejected = limiter.TryAcquire("d", 10, 1, 0);

        _clock.Advance(rejected.RetryAfter - TimeSpan.FromTicks(1));
        var stillRejected = limiter.TryAcquire("d", 10, 1, 0);
        _clock.Advance(TimeSpan.FromTicks(1));
        var admitted = limiter.TryAcquire("d", 10, 1, 0);

        Assert.False(rejected.IsAdmitted);
        Assert.False(stillRejected.IsAdmitted);
        Assert.True(admitted.IsAdmitted);
    }

    [Fact]
    public void Limiter_rejected_requests_are_not_charged()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        limiter.TryAcquire("d", 900, 0, 1000);
        for (var i = 0; i < 10; i++)
        {
            Assert.False(limiter.TryAcquire("d", 200, 0, 1000).IsAdmitted);
        }

        var small = limiter.TryAcquire("d", 100, 0, 1000);

        Assert.True(small.IsAdmitted);
        Assert.Equal(0, small.RemainingTokens);
    }

    [Fact]
    public void Limiter_windows_are_per_deployment()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        Assert.True(limiter.TryAcquire("a", 1, 1, 0).IsAdmitted);

        Assert.False(limiter.TryAcquire("a", 1, 1, 0).IsAdmitted);
        Assert.True(limiter.TryAcquire("b", 1, 1, 0).IsAdmitted);
    }

    [Fact]
    public void Limiter_admits_request_larger_than_tpm_only_into_empty_window()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        limiter.TryAcquire("d", 1, 0, 1000);
        _clock.Advance(TimeSpan.FromSeconds(30));

        var whileBusy = limiter.TryAcquire("d", 5000, 0, 1000);
        _clock.Advance(whileBusy.RetryAfter);
        var whenEmpty = limiter.TryAcquire("d", 5000, 0, 1000);

        Assert.False(whileBusy.IsAdmitted);
        Assert.Equal(TimeSpan.FromSeconds(30), whileBusy.RetryAfter);
        Assert.True(whenEmpty.IsAdmitted);
        Assert.Equal(0, whenEmpty.RemainingTokens);
    }

    [Fact]
    public void Limiter_is_unlimited_when_both_limits_are_zero()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);

        var decisions = Enumerable.Range(0, 1000).Select(_ => limiter.TryAcquire("d", 1_000_000, 0, 0));

        Assert.All(decisions, d => Assert.Equal(new RateLimitDecision(true, TimeSpan.Zero, null, null), d));
    }

    [Fact]
    public void Limiter_applies_the_stricter_of_rpm_and_tpm()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        limiter.TryAcquire("d", 10, 100, 1000);
        _clock.Advance(TimeSpan.FromSeconds(1));
        limiter.TryAcquire("d", 980, 100, 1000);

        var rejected = limiter.TryAcquire("d", 20, 100, 1000);

        Assert.False(rejected.IsAdmitted);
        Assert.Equal(98, rejected.RemainingRequests);
        Assert.Equal(10, rejected.RemainingTokens);
        Assert.Equal(TimeSpan.FromSeconds(59), rejected.RetryAfter);
    }

    [Fact]
    public void Limiter_reset_forgets_charged_requests()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        limiter.TryAcquire("d", 1, 1, 0);

        limiter.Reset();

        Assert.True(limiter.TryAcquire("d", 1, 1, 0).IsAdmitted);
    }

    [Fact]
    public void Limiter_never_admits_more_than_rpm_under_contention()
    {
        var limiter = new SlidingWindowRateLimiter(_clock);
        var admitted = 0;

        Parallel.For(0, 10_000, _ =>
        {
            if (limiter.TryAcquire("d", 1, 500, 0).IsAdmitted)
            {
                Interlocked.Increment(ref admitted);
            }
        });

        Assert.Equal(500, admitted);
    }

    [Fact]
    public void Decision_rounds_retry_after_up_to_whole_units()
    {
        var decision = new RateLimitDecision(false, TimeSpan.FromMilliseconds(1000.2), 0, 0);

        Assert.Equal(1001, decision.RetryAfterMilliseconds);
        Assert.Equal(2, decision.RetryAfterSeconds);
    }
}
