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
    internal const double PaceOverHint = 1.05;

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
    /// Picks a member for one call, tiers first: a <see cref="PoolTier.Provisioned"/> member that may be used and has
    /// quota left takes it; only when none has does a <see cref="PoolTier.Standard"/> member (spillover, and back to the
    /// provisioned members as soon as their quota returns); when no standard member may be used either, a provisioned
    /// member that looks used up (its quota may have returned). <see cref="PoolTier.Batch"/> members are never picked.
    /// With <paramref name="allowStandard"/> false, only provisioned members are picked (the call waits for their quota).
    /// Counts the call as sent to the member (pair with <see cref="Complete"/>); returns false, with the time the first
    /// member may be used again, when none may be used now.
    /// </summary>
    public bool TryPick(out int member, out DateTimeOffset nextAvailable, bool allowStandard = true)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            member = -1;
            nextAvailable = DateTimeOffset.MaxValue;
            var start = _rotation++ & int.MaxValue;
            var chosen = Choose(start, now, m => m.Member.Tier == PoolTier.Provisioned && m.HasQuota(now), ref nextAvailable)
                ?? (allowStandard ? Choose(start, now, m => m.Member.Tier == PoolTier.Standard, ref nextAvailable) : null)
                ?? Choose(start, now, m => m.Member.Tier == PoolTier.Provisioned, ref nextAvailable);
            if (chosen is not { } picked)
            {
                return false;
            }

            member = picked;
            var state = _members[picked];
            if (state.PaceInterval(now) is { } interval)
            {
                state.PacedUntil = MemberState.Later(now, state.PacedUntil) + interval;
            }

            state.InFlight++;
            state.Sent++;
            return true;
        }
    }

    /// <summary>Whether the pool has a member of <paramref name="tier"/>.</summary>
    public bool Has(string tier) => _members.Any(m => m.Member.Tier == tier);

    /// <summary>The best member among those <paramref name="eligible"/> that may be used now; null when none may.</summary>
    private int? Choose(int start, DateTimeOffset now, Func<MemberState, bool> eligible, ref DateTimeOffset nextAvailable)
    {
        int? probe = null;
        int? best = null;
        double bestScore = double.NegativeInfinity;
        int? leastBusy = null;
        for (var k = 0; k < _members.Length; k++)
        {
            var i = (start + k) % _members.Length;
            var m = _members[i];
            if (!eligible(m))
            {
                continue;
            }

            var availableAt = m.AvailableAt(_gateClosedUntil(i), now);
            if (availableAt > now)
            {
                nextAvailable = availableAt < nextAvailable ? availableAt : nextAvailable;
                continue;
            }

            if (leastBusy is null || m.Load() < _members[leastBusy.Value].Load())
            {
                leastBusy = i;
            }

            if (m.Headroom(now) is not { } headroom)
            {
                if (m.InFlight == 0 && (probe is null || m.Member.Weight > _members[probe.Value].Member.Weight))
                {
                    probe = i;
                }

                continue;
            }

            var score = m.Member.Weight * headroom;
            if (best is null || score > bestScore || (score == bestScore && m.Load() < _members[best.Value].Load()))
            {
                best = i;
                bestScore = score;
            }
        }

        return probe ?? best ?? leastBusy;
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
            m.Record(result, now);
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
            return _members.Select((m, i) => new MemberSnapshot(m.Member.Name, m.AvailableAt(_gateClosedUntil(i), now) <= now, m.InFlight, m.Headroom(now), m.Failures, m.Sent)).ToArray();
        }
    }
}
