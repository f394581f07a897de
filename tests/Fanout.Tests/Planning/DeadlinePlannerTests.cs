using Fanout.Core.Planning;
using Xunit;

namespace Fanout.Tests.Planning;

/// <summary>The deadline planner: the arithmetic of the live need, when to offload, when to pull back, replayability.</summary>
public sealed class DeadlinePlannerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 22, 0, 0, TimeSpan.Zero);
    private readonly Clock _time = new() { Now = Start };

    [Fact]
    public void The_live_need_is_the_slower_of_the_token_and_request_quotas_plus_the_margin()
    {
        var planner = new DeadlinePlanner(_time);

        // 2,000 lines × 500 tokens at 100,000 tokens/min = 600 s; at 1,000 requests/min = 120 s: 600 s, + 10 % = 660 s.
        Assert.Equal(660, planner.LiveSeconds(Input(deadline: null, unfinished: 2_000, tpm: 100_000, rpm: 1_000))!.Value, 6);

        // The request quota is the slower one: 2,000 lines at 100 requests/min = 1,200 s, + 10 % = 1,320 s.
        Assert.Equal(1_320, planner.LiveSeconds(Input(deadline: null, unfinished: 2_000, tpm: 100_000, rpm: 100))!.Value, 6);

        // No quota known: the observed live rate. Nothing known: null.
        Assert.Equal(110, planner.LiveSeconds(Input(null, 1_000, null, null, observed: 10))!.Value, 6);
        Assert.Null(planner.LiveSeconds(Input(null, 1_000, null, null)));
        Assert.Equal(0, planner.LiveSeconds(Input(null, 0, null, null)));
    }

    [Fact]
    public void With_time_to_spare_the_lines_go_to_the_batch_api_and_the_pull_back_time_is_the_deadline_less_the_live_need()
    {
        var planner = new DeadlinePlanner(_time);
        var deadline = Start.AddMinutes(10);

        var decision = planner.Decide(Input(deadline, 2_000, tpm: 1_000_000, rpm: null));

        // 2,000 × 500 / 1,000,000 per min = 60 s, + 10 % = 66 s: pull back at the deadline less 66 s.
        Assert.Equal(PlanAction.Offload, decision.Action);
        Assert.Equal(deadline.AddSeconds(-66), decision.PullBackAt);
    }

    [Fact]
    public void Without_a_deadline_a_batch_member_or_a_known_need_every_line_runs_live()
    {
        var planner = new DeadlinePlanner(_time);

        Assert.Equal(PlanAction.RunLive, planner.Decide(Input(null, 100, 1_000_000, null)).Action);
        Assert.Equal(PlanAction.RunLive, planner.Decide(Input(Start.AddHours(1), 100, 1_000_000, null) with { HasBatchMember = false }).Action);
        Assert.Equal(PlanAction.RunLive, planner.Decide(Input(Start.AddHours(1), 100, null, null)).Action);
    }

    [Fact]
    public void A_deadline_too_tight_for_the_batch_api_runs_live_from_the_start()
    {
        var planner = new DeadlinePlanner(_time);

        // Live needs 660 s; 3 minutes are left.
        var decision = planner.Decide(Input(Start.AddMinutes(3), 2_000, 100_000, null));

        Assert.Equal(PlanAction.RunLive, decision.Action);
        Assert.Equal(660, decision.LiveSeconds!.Value, 6);
    }

    [Fact]
    public void While_upstream_runs_it_waits_until_the_pull_back_time_then_pulls_back()
    {
        var planner = new DeadlinePlanner(_time, pollInterval: TimeSpan.FromSeconds(30));
        var deadline = Start.AddMinutes(10);
        var running = Input(deadline, 2_000, 1_000_000, null) with { UpstreamRunning = true };

        // Pull-back at deadline − 66 s = 22:08:54. Checks come every 30 s, the last one exactly at the pull-back time.
        var first = planner.Decide(running);
        Assert.Equal(PlanAction.WaitUpstream, first.Action);
        Assert.Equal(Start.AddSeconds(30), first.NextCheckAt);

        _time.Now = Start.AddSeconds(510);
        var last = planner.Decide(running);
        Assert.Equal(PlanAction.WaitUpstream, last.Action);
        Assert.Equal(deadline.AddSeconds(-66), last.NextCheckAt);

        _time.Now = deadline.AddSeconds(-66);
        Assert.Equal(PlanAction.PullBack, planner.Decide(running).Action);
    }

    [Fact]
    public void Fewer_unfinished_lines_move_the_pull_back_time_later()
    {
        var planner = new DeadlinePlanner(_time);
        var deadline = Start.AddMinutes(10);

        var all = planner.Decide(Input(deadline, 2_000, 1_000_000, null) with { UpstreamRunning = true });
        var half = planner.Decide(Input(deadline, 1_000, 1_000_000, null) with { UpstreamRunning = true });

        Assert.Equal(deadline.AddSeconds(-66), all.PullBackAt);
        Assert.Equal(deadline.AddSeconds(-33), half.PullBackAt);
    }

    [Fact]
    public void The_margin_is_configurable_and_a_decision_replays_identically_at_the_same_time()
    {
        var planner = new DeadlinePlanner(_time, margin: 0.5);
        var input = Input(Start.AddMinutes(10), 2_000, 1_000_000, null);

        Assert.Equal(90, planner.LiveSeconds(input)!.Value, 6);
        Assert.Equal(planner.Decide(input), planner.Decide(input));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeadlinePlanner(_time, margin: -0.1));
    }

    private static PlannerInput Input(DateTimeOffset? deadline, int unfinished, long? tpm, int? rpm, double? observed = null)
        => new(deadline, HasBatchMember: true, unfinished, TokensPerLine: 500, tpm, rpm, observed);

    /// <summary>A clock set by hand (the orchestration's replay-safe time in production).</summary>
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
