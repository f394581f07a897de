namespace Fanout.Core.Llm.Pool;

/// <summary>
/// Chooses the member of one pool for each call, and keeps what it knows of each member (its per-member state):
/// <list type="bullet">
/// <item>Quota left: the last <c>x-ratelimit-remaining-tokens</c> / <c>-requests</c> it reported, less the calls sent
/// to it since (each costing what the reports say a call costs). A report goes stale after <see cref="StaleAfter"/>
/// without a call in flight (the service's window has moved on); a member with no fresh report is sent one call at a
/// time (a probe) until one comes back. The member with the most quota left, times its weight, gets the call.</item>
/// <item>Throttled: after a 429 the member is not used until its Retry-After (or until its own throttle gate opens,
/// whichever is later).</item>
/// <item>Paced: while its quota looks used up, a member with quota hints gets calls no faster than they allow.</item>
/// <item>Failing: after a 5xx, a timeout or a refused connection, not used for a backoff that doubles with each failure
/// in a row (<see cref="FirstFailureBackoff"/> to <see cref="MaxFailureBackoff"/>); then one call at a time until one
/// succeeds.</item>
/// </list>
/// When no member may be used, <see cref="TryPick"/> says when the first one may. Time comes from the injected clock.
/// </summary>
public sealed class PoolRouter
{
    /// <summary>How long a quota report stays good without a call in flight.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(2);

    /// <summary>The pause after a member's first failure.</summary>
    public static readonly TimeSpan FirstFailureBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest pause after failures in a row.</summary>
    public static readonly TimeSpan MaxFailureBackoff = TimeSpan.FromSeconds(8);

    /// <summary>The pause after a 429 that gave no Retry-After.</summary>
    public static readonly TimeSpan DefaultThrottle = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How much faster than its hints a used-up member is paced: a little over, since the estimate of a call's cost runs
    /// high and the service's window frees quota continuously; the odd 429 that costs is cheap (the member cools down).
    /// </summary>
    private const double PaceOverHint = 1.05;

    private readonly MemberState[] _members;
    private readonly TimeProvider _time;
    private readonly Func<int, DateTimeOffset?> _gateClosedUntil;
    private readonly Lock _lock = new();
    private int _rotation;

    /// <summary>Creates the router of a pool.</summary>
    /// <param name="members">The pool's members, in configuration order.</param>
    /// <param name="timeProvider">Clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="gateClosedUntil">When the throttle gate of member <c>i</c> opens (null = open); none when null.</param>
    public PoolRouter(IReadOnlyList<PoolMember> members, TimeProvider? timeProvider = null, Func<int, DateTimeOffset?>? gateClosedUntil = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentOutOfRangeException.ThrowIfZero(members.Count);
        _members = members.Select(m => new MemberState(m)).ToArray();
        _time = timeProvider ?? TimeProvider.System;
        _gateClosedUntil = gateClosedUntil ?? (_ => null);
    }

    /// <summary>The members.</summary>
    public IReadOnlyList<PoolMember> Members => _members.Select(m => m.Member).ToArray();

    /// <summary>
    /// Picks a member for one call and counts the call as sent to it (pair with <see cref="Complete"/>); returns false,
    /// with the time the first member may be used again, when none may be used now.
    /// </summary>
    public bool TryPick(out int member, out DateTimeOffset nextAvailable)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            member = -1;
            nextAvailable = DateTimeOffset.MaxValue;
            int? probe = null;
            int? best = null;
            double bestScore = double.NegativeInfinity;
            int? leastBusy = null;
            var start = _rotation++ & int.MaxValue;
            for (var k = 0; k < _members.Length; k++)
            {
                var i = (start + k) % _members.Length;
                var m = _members[i];
                var availableAt = AvailableAt(i, m, now);
                if (availableAt > now)
                {
                    nextAvailable = availableAt < nextAvailable ? availableAt : nextAvailable;
                    continue;
                }

                if (leastBusy is null || Load(m) < Load(_members[leastBusy.Value]))
                {
                    leastBusy = i;
                }

                if (Headroom(m, now) is not { } headroom)
                {
                    if (m.InFlight == 0 && (probe is null || m.Member.Weight > _members[probe.Value].Member.Weight))
                    {
                        probe = i;
                    }

                    continue;
                }

                var score = m.Member.Weight * headroom;
                if (best is null || score > bestScore || (score == bestScore && Load(m) < Load(_members[best.Value])))
                {
                    best = i;
                    bestScore = score;
                }
            }

            if ((probe ?? best ?? leastBusy) is not { } chosen)
            {
                return false;
            }

            member = chosen;
            var state = _members[chosen];
            if (PaceInterval(state, now) is { } interval)
            {
                state.PacedUntil = Later(now, state.PacedUntil) + interval;
            }

            state.InFlight++;
            state.Sent++;
            return true;
        }
    }

    /// <summary>Records the answer of a call <see cref="TryPick"/> gave to <paramref name="member"/>.</summary>
    public void Complete(int member, ChatCallResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var m = _members[member];
            m.InFlight--;
            if (result.Deferred)
            {
                // Not sent: its gate is closed; that says nothing new about its quota or health.
                m.Sent--;
                m.ThrottledUntil = Later(m.ThrottledUntil, now + (result.RetryAfter ?? DefaultThrottle));
                return;
            }

            if (result.Status == 429)
            {
                m.ThrottledUntil = Later(m.ThrottledUntil, now + (result.RetryAfter ?? DefaultThrottle));
                m.ReportTicket = -1;
                m.ThrottledSinceReport = true;
                return;
            }

            if (IsMemberFailure(result.Status))
            {
                m.Failures++;
                var backoff = FirstFailureBackoff * Math.Pow(2, Math.Min(m.Failures - 1, 10));
                m.FailingUntil = now + (backoff > MaxFailureBackoff ? MaxFailureBackoff : backoff);
                m.ReportTicket = -1;
                return;
            }

            if (!result.IsSuccess)
            {
                return;
            }

            m.Failures = 0;
            var tokens = result.RemainingTokens;
            var requests = result.RemainingRequests;
            if (tokens is null && requests is null)
            {
                return;
            }

            // The report answers the call sent as number m.Sent - m.InFlight at the latest; later calls are not in it.
            var ticket = m.Sent - m.InFlight;
            if (tokens is { } t && m.ReportTicket >= 0 && m.ReportTokens is { } before && ticket > m.ReportTicket && t < before)
            {
                var sample = (double)(before - t) / (ticket - m.ReportTicket);
                m.Cost = m.Cost <= 0 ? sample : (0.75 * m.Cost) + (0.25 * sample);
            }

            m.ReportTicket = ticket;
            m.ThrottledSinceReport = false;
            m.ReportTokens = tokens;
            m.ReportRequests = requests;
            m.ReportAt = now;
        }
    }

    /// <summary>Forgets a call <see cref="TryPick"/> gave to <paramref name="member"/> that ended without an answer (cancelled, or threw).</summary>
    public void Release(int member)
    {
        lock (_lock)
        {
            _members[member].InFlight--;
            _members[member].Sent--;
        }
    }

    /// <summary>Whether a status says the member, not the line, is at fault: try another member.</summary>
    public static bool IsMemberFailure(int status) => status is 0 or 401 or 403 or 404 or 408 or >= 500;

    /// <summary>What the router knows of each member now, for diagnostics and tests.</summary>
    public IReadOnlyList<MemberSnapshot> Snapshot()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _members.Select((m, i) => new MemberSnapshot(m.Member.Name, AvailableAt(i, m, now) <= now, m.InFlight, Headroom(m, now), m.Failures)).ToArray();
        }
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static double Load(MemberState m) => (m.InFlight + 1) / m.Member.Weight;

    private DateTimeOffset AvailableAt(int i, MemberState m, DateTimeOffset now)
    {
        var at = m.ThrottledUntil;
        if (_gateClosedUntil(i) is { } gate)
        {
            at = Later(at, gate);
        }

        if (PaceInterval(m, now) is not null)
        {
            at = Later(at, m.PacedUntil);
        }

        if (m.Failures > 0)
        {
            // Failing: after the backoff one call at a time (a probe), until one succeeds.
            at = Later(at, m.InFlight > 0 ? Later(m.FailingUntil, now + FirstFailureBackoff) : m.FailingUntil);
        }

        return at;
    }

    /// <summary>
    /// While the member's quota looks used up (less than one call left by its reports and the calls sent since), calls to
    /// it leave at the pace its quota hints allow (<see cref="PoolMember.TokensPerMinute"/> / <see cref="PoolMember.RequestsPerMinute"/>)
    /// instead of each collecting a 429; null when it has room, or no hint to pace by.
    /// </summary>
    private static TimeSpan? PaceInterval(MemberState m, DateTimeOffset now)
    {
        if (m.Member.TokensPerMinute is null && m.Member.RequestsPerMinute is null)
        {
            return null;
        }

        var cost = Math.Max(m.Cost, 1);
        if (Headroom(m, now) is not { } headroom || headroom >= cost)
        {
            return null;
        }

        var seconds = Math.Max(
            m.Member.TokensPerMinute is { } tpm && m.Cost > 0 ? m.Cost * 60 / tpm : 0,
            m.Member.RequestsPerMinute is { } rpm ? 60.0 / rpm : 0);
        return seconds > 0 ? TimeSpan.FromSeconds(seconds / PaceOverHint) : null;
    }

    /// <summary>Tokens (or requests, in tokens) the member has left by its last fresh report and the calls sent since; null when not known.</summary>
    private static double? Headroom(MemberState m, DateTimeOffset now)
    {
        if (m.ReportTicket < 0 || (m.InFlight == 0 && now - m.ReportAt > StaleAfter))
        {
            // Not known: its quota hint, if any. But after a 429 the quota was used up: it stays so (paced by the hint)
            // until a report says otherwise, or for a while after the cooldown.
            return m.Member.TokensPerMinute is { } hint
                ? (m.ThrottledSinceReport && now - m.ThrottledUntil < StaleAfter ? 0 : hint) - (m.InFlight * Math.Max(m.Cost, 1))
                : null;
        }

        var since = m.Sent - m.ReportTicket;
        double? headroom = null;
        if (m.ReportTokens is { } tokens)
        {
            headroom = tokens - (m.Cost * since);
        }

        if (m.ReportRequests is { } requests)
        {
            var asTokens = (requests - since) * Math.Max(m.Cost, 1);
            headroom = headroom is { } h ? Math.Min(h, asTokens) : asTokens;
        }

        return headroom;
    }

    private sealed class MemberState(PoolMember member)
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
    }
}

/// <summary>The router's view of one member.</summary>
/// <param name="Name">The member.</param>
/// <param name="Available">Whether it may be used now.</param>
/// <param name="InFlight">Calls in flight to it.</param>
/// <param name="Headroom">Quota left (in tokens) as estimated; null when not known.</param>
/// <param name="Failures">Failures in a row.</param>
public sealed record MemberSnapshot(string Name, bool Available, int InFlight, double? Headroom, int Failures);
