namespace Fanout.Core.Llm.Pool;

/// <summary>
/// What a <see cref="PoolRouter"/> knows of one member: calls in flight, its last quota report and the estimated cost of
/// a call, throttling and failure backoff, pacing. Not thread-safe: the router holds its lock around every use.
/// </summary>
internal sealed class MemberState(PoolMember member)
{
    public PoolMember Member { get; } = member;

    public int InFlight { get; set; }

    public long Sent { get; set; }

    public DateTimeOffset ThrottledUntil { get; set; } = DateTimeOffset.MinValue;

    public int Failures { get; set; }

    public DateTimeOffset FailingUntil { get; set; } = DateTimeOffset.MinValue;

    /// <summary>The number of the call the last quota report answered; -1 = none (or no longer good).</summary>
    public long ReportTicket { get; set; } = -1;

    public long? ReportTokens { get; set; }

    public long? ReportRequests { get; set; }

    public DateTimeOffset ReportAt { get; set; }

    /// <summary>It answered 429 after its last quota report.</summary>
    public bool ThrottledSinceReport { get; set; }

    /// <summary>While its quota looks used up: the earliest time of its next call.</summary>
    public DateTimeOffset PacedUntil { get; set; } = DateTimeOffset.MinValue;

    /// <summary>Estimated tokens one call takes from the quota (0 = not known yet).</summary>
    public double Cost { get; set; }

    /// <summary>When the member may be used (its gate, a 429's wait, its pace and its failure backoff, whichever is latest).</summary>
    public DateTimeOffset AvailableAt(DateTimeOffset? gateClosedUntil, DateTimeOffset now)
    {
        var at = ThrottledUntil;
        if (gateClosedUntil is { } gate)
        {
            at = Later(at, gate);
        }

        if (PaceInterval(now) is not null)
        {
            at = Later(at, PacedUntil);
        }

        if (Failures > 0)
        {
            // Failing: after the backoff one call at a time (a probe), until one succeeds.
            at = Later(at, InFlight > 0 ? Later(FailingUntil, now + PoolRouter.FirstFailureBackoff) : FailingUntil);
        }

        return at;
    }

    /// <summary>
    /// While the member's quota looks used up (less than one call left by its reports and the calls sent since), calls to
    /// it leave at the pace its quota hints allow (<see cref="PoolMember.TokensPerMinute"/> / <see cref="PoolMember.RequestsPerMinute"/>)
    /// instead of each collecting a 429; null when it has room, or no hint to pace by.
    /// </summary>
    public TimeSpan? PaceInterval(DateTimeOffset now)
    {
        if (Member.TokensPerMinute is null && Member.RequestsPerMinute is null)
        {
            return null;
        }

        var cost = Math.Max(Cost, 1);
        if (Headroom(now) is not { } headroom || headroom >= cost)
        {
            return null;
        }

        var seconds = Math.Max(
            Member.TokensPerMinute is { } tpm && Cost > 0 ? Cost * 60 / tpm : 0,
            Member.RequestsPerMinute is { } rpm ? 60.0 / rpm : 0);
        return seconds > 0 ? TimeSpan.FromSeconds(seconds / PoolRouter.PaceOverHint) : null;
    }

    /// <summary>Tokens (or requests, in tokens) the member has left by its last fresh report and the calls sent since; null when not known.</summary>
    public double? Headroom(DateTimeOffset now)
    {
        if (ReportTicket < 0 || (InFlight == 0 && now - ReportAt > PoolRouter.StaleAfter))
        {
            // Not known: its quota hint, if any. But after a 429 the quota was used up: it stays so (paced by the hint)
            // until a report says otherwise, or for a while after the cooldown.
            return Member.TokensPerMinute is { } hint
                ? (ThrottledSinceReport && now - ThrottledUntil < PoolRouter.StaleAfter ? 0 : hint) - (InFlight * Math.Max(Cost, 1))
                : null;
        }

        var since = Sent - ReportTicket;
        double? headroom = null;
        if (ReportTokens is { } tokens)
        {
            headroom = tokens - (Cost * since);
        }

        if (ReportRequests is { } requests)
        {
            var asTokens = (requests - since) * Math.Max(Cost, 1);
            headroom = headroom is { } h ? Math.Min(h, asTokens) : asTokens;
        }

        return headroom;
    }

    /// <summary>Whether it has room for one more call by what is known (no report and no hint counts as room: a probe finds out).</summary>
    public bool HasQuota(DateTimeOffset now) => Headroom(now) is not { } headroom || headroom >= Math.Max(Cost, 1);

    /// <summary>Records the answer of a call sent to the member (its in-flight count already taken down).</summary>
    public void Record(ChatCallResult result, DateTimeOffset now)
    {
        if (result.Deferred)
        {
            // Not sent: its gate is closed; that says nothing new about its quota or health.
            Sent--;
            ThrottledUntil = Later(ThrottledUntil, now + (result.RetryAfter ?? PoolRouter.DefaultThrottle));
            return;
        }

        if (result.Status == 429)
        {
            ThrottledUntil = Later(ThrottledUntil, now + (result.RetryAfter ?? PoolRouter.DefaultThrottle));
            ReportTicket = -1;
            ThrottledSinceReport = true;
            return;
        }

        if (PoolRouter.IsMemberFailure(result.Status))
        {
            Failures++;
            var backoff = PoolRouter.FirstFailureBackoff * Math.Pow(2, Math.Min(Failures - 1, 10));
            FailingUntil = now + (backoff > PoolRouter.MaxFailureBackoff ? PoolRouter.MaxFailureBackoff : backoff);
            ReportTicket = -1;
            return;
        }

        if (!result.IsSuccess)
        {
            return;
        }

        Failures = 0;
        var tokens = result.RemainingTokens;
        var requests = result.RemainingRequests;
        if (tokens is null && requests is null)
        {
            return;
        }

        // The report answers the call sent as number Sent - InFlight at the latest; later calls are not in it.
        var ticket = Sent - InFlight;
        if (tokens is { } t && ReportTicket >= 0 && ReportTokens is { } before && ticket > ReportTicket && t < before)
        {
            var sample = (double)(before - t) / (ticket - ReportTicket);
            Cost = Cost <= 0 ? sample : (0.75 * Cost) + (0.25 * sample);
        }

        ReportTicket = ticket;
        ThrottledSinceReport = false;
        ReportTokens = tokens;
        ReportRequests = requests;
        ReportAt = now;
    }

    /// <summary>The load the member carries if given one more call, relative to its weight.</summary>
    public double Load() => (InFlight + 1) / Member.Weight;

    /// <summary>The later of two times.</summary>
    public static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
