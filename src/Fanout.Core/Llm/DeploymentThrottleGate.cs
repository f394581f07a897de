using System.ClientModel.Primitives;
using System.Collections.Concurrent;

namespace Fanout.Core.Llm;

/// <summary>
/// A per-deployment gate shared by every request of one client (add it per try, after the retry policy): when a call to
/// a deployment is answered 429 with a Retry-After, every later call from this process to that deployment holds off
/// until then instead of collecting its own 429. The SDK's retry policy retries each request on its own; this is what
/// coordinates concurrent requests.
/// <list type="bullet">
/// <item>Before sending: a closed gate that opens within <c>maxWait</c> is waited for; one that opens later is not
/// waited for and the service is not called: <see cref="ThrottleGateClosedException"/> carries the remaining wait, which
/// <see cref="AzureOpenAIChatInvoker"/> returns as a 429 so that it becomes a durable timer.</item>
/// <item>While the quota is short, calls leave one <c>spacing</c> apart instead of all at once, so that the first 429
/// closes the gate before the rest are sent: those released by an opening, every call for a second after an opening
/// (durable timers due at the opening bring calls in a burst), and calls sent while the last
/// <c>x-ratelimit-remaining-tokens</c>, less an estimate of what the calls sent since cost, leaves less than one call.
/// Otherwise calls go at once. Spacing never turns into a handed-back wait.</item>
/// <item>After a 429 with <c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c> or <c>Retry-After</c>: the gate closes until
/// now + that wait, or stays closed until its later deadline.</item>
/// </list>
/// Time comes from the injected <see cref="TimeProvider"/>; the state lives in this instance (one per client).
/// </summary>
public sealed class DeploymentThrottleGate : PipelinePolicy
{
    /// <summary>The default gap between calls while the quota is short.</summary>
    public static readonly TimeSpan DefaultSpacing = TimeSpan.FromMilliseconds(5);

    private readonly ConcurrentDictionary<string, Gate> _gates = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeSpan _maxWait;
    private readonly TimeSpan _spacing;
    private readonly TimeProvider _time;

    /// <summary>Creates a gate.</summary>
    /// <param name="maxWait">The longest wait held inside a call; a gate closed for longer is handed back.</param>
    /// <param name="timeProvider">Clock and timers; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="spacing">Gap between calls while the quota is short; <see cref="DefaultSpacing"/> when null, zero for none.</param>
    public DeploymentThrottleGate(TimeSpan maxWait, TimeProvider? timeProvider = null, TimeSpan? spacing = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero);
        _maxWait = maxWait;
        _spacing = spacing ?? DefaultSpacing;
        ArgumentOutOfRangeException.ThrowIfLessThan(_spacing, TimeSpan.Zero, nameof(spacing));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The deployment named by an Azure OpenAI request URI (<c>…/deployments/{name}/…</c>), or null.</summary>
    public static string? DeploymentOf(Uri? uri)
    {
        if (uri is null || !uri.IsAbsoluteUri)
        {
            return null;
        }

        var path = uri.AbsolutePath.AsSpan();
        const string marker = "/deployments/";
        var at = path.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }

        var rest = path[(at + marker.Length)..];
        var end = rest.IndexOf('/');
        var name = end < 0 ? rest : rest[..end];
        return name.IsEmpty ? null : Uri.UnescapeDataString(name.ToString());
    }

    /// <summary>When the gate of <paramref name="deployment"/> opens; null when it is open.</summary>
    public DateTimeOffset? ClosedUntil(string deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        if (!_gates.TryGetValue(deployment, out var gate))
        {
            return null;
        }

        var openAt = gate.OpenAt;
        return openAt > _time.GetUtcNow() ? openAt : null;
    }

    /// <summary>Closes the gate of <paramref name="deployment"/> until <paramref name="until"/>, or leaves a later deadline in place.</summary>
    public void CloseUntil(string deployment, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        _gates.GetOrAdd(deployment, static _ => new Gate()).CloseUntil(until);
    }

    /// <inheritdoc />
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        var deployment = DeploymentOf(message.Request.Uri);
        if (deployment is null)
        {
            ProcessNext(message, pipeline, currentIndex);
            return;
        }

        var gate = _gates.GetOrAdd(deployment, static _ => new Gate());
        var ticket = EnterAsync(gate, deployment, message.CancellationToken).AsTask().GetAwaiter().GetResult();
        ProcessNext(message, pipeline, currentIndex);
        gate.Observe(ticket, message.Response, _time.GetUtcNow());
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        var deployment = DeploymentOf(message.Request.Uri);
        if (deployment is null)
        {
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
            return;
        }

        var gate = _gates.GetOrAdd(deployment, static _ => new Gate());
        var ticket = await EnterAsync(gate, deployment, message.CancellationToken).ConfigureAwait(false);
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        gate.Observe(ticket, message.Response, _time.GetUtcNow());
    }

    /// <summary>
    /// Returns when a call may be sent (with its place in the order of calls sent): at once when the gate is open and
    /// nothing calls for spacing, else at this call's turn.
    /// </summary>
    /// <exception cref="ThrottleGateClosedException">The call would have to wait longer than the in-call limit.</exception>
    private async ValueTask<long> EnterAsync(Gate gate, string deployment, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _maxWait;
        var queued = false;
        while (true)
        {
            var now = _time.GetUtcNow();
            if (queued && gate.TryGoAtTurn(now, out var ticket))
            {
                // Our turn, and no 429 has closed the gate again since we were given it.
                return ticket;
            }

            var turn = gate.Reserve(now, _spacing, deadline, out var opensAt, out ticket);
            if (turn is null)
            {
                throw new ThrottleGateClosedException(deployment, opensAt - now);
            }

            if (turn.Value <= now)
            {
                return ticket;
            }

            queued = true;
            await Task.Delay(turn.Value - now, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Gate
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
}

/// <summary>
/// The deployment's throttle gate stays closed longer than a call may wait: the call was not sent. Returned by
/// <see cref="AzureOpenAIChatInvoker"/> as a 429 with <see cref="RetryAfter"/>, to be waited out by a durable timer.
/// </summary>
public sealed class ThrottleGateClosedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ThrottleGateClosedException(string deployment, TimeSpan retryAfter)
        : base($"Deployment '{deployment}' is throttled for another {retryAfter.TotalMilliseconds:0} ms; the call was not sent.")
    {
        Deployment = deployment;
        RetryAfter = retryAfter;
    }

    /// <summary>The throttled deployment.</summary>
    public string Deployment { get; }

    /// <summary>How long the gate stays closed.</summary>
    public TimeSpan RetryAfter { get; }
}
