using System.Collections.Concurrent;

namespace Fanout.Simulator.RateLimiting;

/// <summary>The limiter's answer to one request.</summary>
/// <param name="IsAdmitted">Whether the request fits in the window; an admitted request is charged.</param>
/// <param name="RetryAfter">When rejected, the time until enough of the window has expired for this request to fit.</param>
/// <param name="RemainingRequests">Requests still available in the window after this decision; null when requests are unlimited.</param>
/// <param name="RemainingTokens">Tokens still available in the window after this decision; null when tokens are unlimited.</param>
public readonly record struct RateLimitDecision(bool IsAdmitted, TimeSpan RetryAfter, long? RemainingRequests, long? RemainingTokens)
{
    /// <summary><see cref="RetryAfter"/> rounded up to whole milliseconds, at least 1 when rejected (the <c>retry-after-ms</c> header).</summary>
    public long RetryAfterMilliseconds => IsAdmitted ? 0 : Math.Max(1, (long)Math.Ceiling(RetryAfter.TotalMilliseconds));

    /// <summary><see cref="RetryAfter"/> rounded up to whole seconds, at least 1 when rejected (the <c>Retry-After</c> header).</summary>
    public long RetryAfterSeconds => IsAdmitted ? 0 : Math.Max(1, (long)Math.Ceiling(RetryAfter.TotalSeconds));
}

/// <summary>
/// Azure OpenAI style quota per deployment: the requests and the tokens admitted in any sliding window (60 s) must stay
/// within requests-per-minute and tokens-per-minute. A request is charged on admission, whatever happens to it afterwards.
/// </summary>
/// <param name="timeProvider">Clock; tests pass a manual one.</param>
public sealed class SlidingWindowRateLimiter(TimeProvider timeProvider)
{
    /// <summary>Length of the sliding window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, DeploymentWindow> _windows = new(StringComparer.Ordinal);

    /// <summary>
    /// Admits and charges the request when one more request and <paramref name="tokens"/> more tokens fit in the window of
    /// <paramref name="deployment"/>. A limit of 0 is unlimited. A request costing more than the whole token quota is admitted
    /// only into an empty window (charged the whole quota), so it is slowed down rather than refused forever.
    /// </summary>
    public RateLimitDecision TryAcquire(string deployment, long tokens, int requestsPerMinute, long tokensPerMinute)
        => TryAcquire(deployment, tokens, requestsPerMinute, tokensPerMinute, Window);

    /// <summary>
    /// As <see cref="TryAcquire(string, long, int, long)"/> but over a window of <paramref name="window"/>, with the limits
    /// being what that window may admit (tests compress a minute of quota into a few seconds).
    /// </summary>
    public RateLimitDecision TryAcquire(string deployment, long tokens, int requestsPerMinute, long tokensPerMinute, TimeSpan window)
    {
        var windowTicks = (long)(window.TotalSeconds * timeProvider.TimestampFrequency);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(requestsPerMinute);
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerMinute);
        if (requestsPerMinute == 0 && tokensPerMinute == 0)
        {
            return new RateLimitDecision(true, TimeSpan.Zero, null, null);
        }

        var state = _windows.GetOrAdd(deployment, static _ => new DeploymentWindow());
        lock (state)
        {
            // Read inside the lock so the timestamps queued are in order.
            var now = timeProvider.GetTimestamp();
            state.Expire(now - windowTicks);
            var cost = tokensPerMinute > 0 ? Math.Min(tokens, tokensPerMinute) : tokens;
            var requestsOver = requestsPerMinute > 0 ? state.Count + 1 - requestsPerMinute : 0;
            var tokensOver = tokensPerMinute > 0 ? state.Tokens + cost - tokensPerMinute : 0;
            if (requestsOver <= 0 && tokensOver <= 0)
            {
                state.Add(now, cost);
                return new RateLimitDecision(true, TimeSpan.Zero, Remaining(requestsPerMinute, state.Count), Remaining(tokensPerMinute, state.Tokens));
            }

            var freeAt = state.TimeWhenFreed(requestsOver, tokensOver) + windowTicks;
            var retryAfter = TimeSpan.FromSeconds((double)(freeAt - now) / timeProvider.TimestampFrequency);
            return new RateLimitDecision(false, retryAfter, Remaining(requestsPerMinute, state.Count), Remaining(tokensPerMinute, state.Tokens));
        }
    }

    /// <summary>Forgets every request charged so far.</summary>
    public void Reset()
    {
        foreach (var window in _windows.Values)
        {
            lock (window)
            {
                window.Clear();
            }
        }
    }

    private static long? Remaining(long limit, long used) => limit > 0 ? Math.Max(0, limit - used) : null;

    private sealed class DeploymentWindow
    {
        private readonly Queue<(long Timestamp, long Tokens)> _entries = new();

        public int Count => _entries.Count;

        public long Tokens { get; private set; }

        public void Add(long timestamp, long tokens)
        {
            _entries.Enqueue((timestamp, tokens));
            Tokens += tokens;
        }

        /// <summary>Drops entries charged at or before <paramref name="cutoff"/>.</summary>
        public void Expire(long cutoff)
        {
            while (_entries.TryPeek(out var oldest) && oldest.Timestamp <= cutoff)
            {
                _entries.Dequeue();
                Tokens -= oldest.Tokens;
            }
        }

        /// <summary>The timestamp of the newest entry that must expire for the given excess requests and tokens to be freed.</summary>
        public long TimeWhenFreed(long requestsOver, long tokensOver)
        {
            long freedRequests = 0, freedTokens = 0, timestamp = 0;
            foreach (var (entryTimestamp, tokens) in _entries)
            {
                if (freedRequests >= requestsOver && freedTokens >= tokensOver)
                {
                    break;
                }

                freedRequests++;
                freedTokens += tokens;
                timestamp = entryTimestamp;
            }

            return timestamp;
        }

        public void Clear()
        {
            _entries.Clear();
            Tokens = 0;
        }
    }
}
