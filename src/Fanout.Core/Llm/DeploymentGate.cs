using System.ClientModel.Primitives;

namespace Fanout.Core.Llm;

/// <summary>
/// The state of one deployment's throttle gate (<see cref="DeploymentThrottleGate"/>): when it opens, the turns of
/// spaced calls, and what the last <c>x-ratelimit-remaining-tokens</c> report says is left.
/// </summary>
internal sealed class DeploymentGate
{
    /// <summary>How long after an opening every call is spaced, also those that were not queued.</summary>
    private static readonly TimeSpan RecoveryPeriod = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private DateTimeOffset _openAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastTurn = DateTimeOffset.MinValue;

    // Calls sent so far; the latest x-ratelimit-remaining-tokens report (the number of the call it answered and
    // the tokens left right after that call was admitted); the estimated tokens one call costs (0 = not known).
    private long _sent;
    private long _reportTicket = -1;
    private long _reportRemaining;
    private long _reportFloor;
    private double _cost;

    public DateTimeOffset OpenAt
    {
        get
        {
            lock (_lock)
            {
                return _openAt;
            }
        }
    }

    public void CloseUntil(DateTimeOffset until)
    {
        lock (_lock)
        {
            CloseUntilLocked(until);
        }
    }

    /// <summary>A queued call woke at its turn: it goes unless a 429 has closed the gate again meanwhile.</summary>
    public bool TryGoAtTurn(DateTimeOffset now, out long ticket)
    {
        lock (_lock)
        {
            ticket = now >= _openAt ? ++_sent : 0;
            return now >= _openAt;
        }
    }

    /// <summary>
    /// The time this call may go (≤ now: at once, and <paramref name="ticket"/> numbers it), or null when that is
    /// after <paramref name="deadline"/>, with <paramref name="opensAt"/> then the time it would have been.
    /// </summary>
    public DateTimeOffset? Reserve(DateTimeOffset now, TimeSpan spacing, DateTimeOffset deadline, out DateTimeOffset opensAt, out long ticket)
    {
        lock (_lock)
        {
            ticket = 0;

            // Calls are spaced while the quota is short: for a while after an opening (calls that arrive on their
            // own, e.g. from durable timers due at the opening, would otherwise go all at once), and while the
            // last remaining-tokens report, less what was sent since, leaves less than one call's cost.
            var spaced = now < _openAt + RecoveryPeriod || LooksExhausted();
            if (now >= _openAt && now >= (spaced ? _lastTurn + spacing : _lastTurn))
            {
                if (spaced)
                {
                    _lastTurn = now;
                }

                opensAt = now;
                ticket = ++_sent;
                return now;
            }

            // Closed, or spaced: the next turn after the calls already queued.
            var turn = _lastTurn + spacing;
            opensAt = turn > _openAt ? turn : _openAt;
            if (opensAt > deadline)
            {
                if (now >= _openAt)
                {
                    // Open, and only the spacing asks for a wait the call may not hold: spacing is best effort,
                    // not worth a durable timer.
                    opensAt = now;
                    ticket = ++_sent;
                    return now;
                }

                return null;
            }

            _lastTurn = opensAt;
            return opensAt;
        }
    }

    /// <summary>Reads the answer to call <paramref name="ticket"/>.</summary>
    public void Observe(long ticket, PipelineResponse? response, DateTimeOffset now)
    {
        if (response is null)
        {
            return;
        }

        if (response.Status == 429)
        {
            if (ThrottleAwareRetryPolicy.ReadRetryAfter(response) is { } wait && wait > TimeSpan.Zero)
            {
                lock (_lock)
                {
                    CloseUntilLocked(now + wait);
                }
            }

            return;
        }

        if (response.Status is >= 200 and < 300
            && response.Headers.TryGetValue("x-ratelimit-remaining-tokens", out var text)
            && long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var remaining))
        {
            lock (_lock)
            {
                if (ticket <= _reportTicket || ticket <= _reportFloor)
                {
                    return;
                }

                if (_reportTicket >= 0 && remaining < _reportRemaining)
                {
                    var sample = (double)(_reportRemaining - remaining) / (ticket - _reportTicket);
                    _cost = _cost <= 0 ? sample : (0.75 * _cost) + (0.25 * sample);
                }

                _reportTicket = ticket;
                _reportRemaining = remaining;
            }
        }
    }

    private bool LooksExhausted()
        => _reportTicket >= 0 && _cost > 0 && _reportRemaining - (_cost * (_sent - _reportTicket)) < _cost;

    private void CloseUntilLocked(DateTimeOffset until)
    {
        if (until > _openAt)
        {
            _openAt = until;
        }

        // What the reports said is stale once the service has said no, also for calls already sent.
        _reportTicket = -1;
        _reportFloor = _sent;
    }
}
