namespace Fanout.Core.Planning;

/// <summary>
/// Decides where a batch's unfinished lines go, in the style of <see cref="Orchestrations.AdaptiveWindow"/> and
/// <see cref="Llm.Pool.PoolRouter"/>: a pure policy over its input and an injected clock (in an orchestration, the
/// context's replay-safe time), so each decision replays identically.
/// <list type="bullet">
/// <item>Live need = the unfinished lines at the live members' quota (tokens and requests per minute, whichever is
/// slower; the observed live rate when no quota is known), times 1 + <see cref="Margin"/>.</item>
/// <item>No deadline, no batch member, or a need that is not known: run live (the old behaviour; nothing is guessed).</item>
/// <item>Before any upstream batch: offload when the time left exceeds the live need (there is room to wait for the
/// Batch API and still finish live), else run live.</item>
/// <item>While an upstream batch runs: pull back once the time left no longer exceeds the live need; until then wait,
/// checking again at the earlier of <see cref="PollInterval"/> from now and the pull-back time.</item>
/// </list>
/// </summary>
public sealed class DeadlinePlanner(TimeProvider clock, double margin = DeadlinePlanner.DefaultMargin, TimeSpan? pollInterval = null)
{
    /// <summary>The default share added to the live need (<c>Fanout:Cost:DeadlineMargin</c>, 10 %).</summary>
    public const double DefaultMargin = 0.10;

    /// <summary>The default time between two looks at an upstream batch.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(30);

    /// <summary>The share added to the live need.</summary>
    public double Margin { get; } = margin >= 0 ? margin : throw new ArgumentOutOfRangeException(nameof(margin));

    /// <summary>The longest wait between two looks at an upstream batch.</summary>
    public TimeSpan PollInterval { get; } = pollInterval ?? DefaultPollInterval;

    /// <summary>Seconds <paramref name="input"/>'s unfinished lines need live, margin included; null when nothing says.</summary>
    public double? LiveSeconds(PlannerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.UnfinishedLines <= 0)
        {
            return 0;
        }

        double? seconds = null;
        if (input.LiveTokensPerMinute is > 0 and var tpm)
        {
            seconds = input.UnfinishedLines * Math.Max(1, input.TokensPerLine) * 60.0 / tpm;
        }

        if (input.LiveRequestsPerMinute is > 0 and var rpm)
        {
            seconds = Math.Max(seconds ?? 0, input.UnfinishedLines * 60.0 / rpm);
        }

        if (seconds is null && input.ObservedLinesPerSecond is > 0 and var rate)
        {
            seconds = input.UnfinishedLines / rate;
        }

        return seconds * (1 + Margin);
    }

    /// <summary>The decision for <paramref name="input"/> now.</summary>
    public PlanDecision Decide(PlannerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = clock.GetUtcNow();
        var need = LiveSeconds(input);
        if (input.Deadline is not { } deadline || !input.HasBatchMember || need is not { } seconds)
        {
            return new PlanDecision(input.UpstreamRunning ? PlanAction.PullBack : PlanAction.RunLive, need, null, null);
        }

        var pullBackAt = deadline - TimeSpan.FromSeconds(seconds);
        if (now >= pullBackAt)
        {
            return new PlanDecision(input.UpstreamRunning ? PlanAction.PullBack : PlanAction.RunLive, seconds, pullBackAt, null);
        }

        if (!input.UpstreamRunning)
        {
            return new PlanDecision(PlanAction.Offload, seconds, pullBackAt, null);
        }

        var next = now + PollInterval;
        return new PlanDecision(PlanAction.WaitUpstream, seconds, pullBackAt, next < pullBackAt ? next : pullBackAt);
    }
}
