using System.Collections.Concurrent;

namespace Fanout.Simulator.Stats;

/// <summary>Live, thread-safe counters of the simulator; <see cref="Snapshot"/> reads them all.</summary>
public sealed class SimulatorStats : IDisposable
{
    /// <summary>How often the in-flight gauge is sampled.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<ulong, PromptCounters> _prompts = new();
    private readonly InFlightSample[] _samples;
    private readonly Lock _samplesLock = new();
    private readonly ITimer? _sampler;
    private int _sampleNext;
    private int _sampleCount;
    private long _epoch;

    private long _requests;
    private long _succeeded;
    private long _rateLimited;
    private long _failed;
    private long _hung;
    private long _badRequests;
    private long _cancelled;
    private int _inFlight;
    private int _peak;
    private int _intervalPeak;
    private long _distinctPrompts;
    private long _duplicatePrompts;
    private long _tokensAdmitted;

    /// <summary>Creates the counters; with <paramref name="sample"/> the in-flight gauge is sampled every <see cref="SampleInterval"/>.</summary>
    /// <param name="timeProvider">Clock for the histogram.</param>
    /// <param name="histogramCapacity">Samples kept (a ring): 10,000 is the last 1,000 seconds.</param>
    /// <param name="sample">Start the sampling timer (tests drive <see cref="Sample"/> themselves).</param>
    public SimulatorStats(TimeProvider timeProvider, int histogramCapacity = 10_000, bool sample = true)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(histogramCapacity, 1);
        _timeProvider = timeProvider;
        _samples = new InFlightSample[histogramCapacity];
        _epoch = timeProvider.GetTimestamp();
        if (sample)
        {
            _sampler = timeProvider.CreateTimer(static s => ((SimulatorStats)s!).Sample(), this, SampleInterval, SampleInterval);
        }
    }

    /// <summary>Chat-completion requests received.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Answered 200.</summary>
    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>429s sent.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>5xx sent.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Requests that hung on purpose.</summary>
    public long Hung => Interlocked.Read(ref _hung);

    /// <summary>400s sent.</summary>
    public long BadRequests => Interlocked.Read(ref _badRequests);

    /// <summary>Requests abandoned by the client while served.</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Requests being served now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Most requests served at once.</summary>
    public int PeakConcurrency => Volatile.Read(ref _peak);

    /// <summary>Distinct prompt texts answered 200.</summary>
    public long DistinctPrompts => Interlocked.Read(ref _distinctPrompts);

    /// <summary>200s for a prompt text already answered 200.</summary>
    public long DuplicatePrompts => Interlocked.Read(ref _duplicatePrompts);

    /// <summary>Tokens charged to the quota by admitted requests (prompt estimate + max_tokens), for quota utilisation.</summary>
    public long TokensAdmitted => Interlocked.Read(ref _tokensAdmitted);

    /// <summary>Counts the quota charge of an admitted request.</summary>
    public void CountAdmitted(long tokens) => Interlocked.Add(ref _tokensAdmitted, tokens);

    /// <summary>All counters and the histogram, read now.</summary>
    public SimulatorStatsSnapshot Snapshot()
    {
        InFlightSample[] histogram;
        lock (_samplesLock)
        {
            histogram = new InFlightSample[_sampleCount];
            var start = (_sampleNext - _sampleCount + _samples.Length) % _samples.Length;
            for (var i = 0; i < _sampleCount; i++)
            {
                histogram[i] = _samples[(start + i) % _samples.Length];
            }
        }

        return new SimulatorStatsSnapshot(
            Requests, Succeeded, RateLimited, Failed, Hung, BadRequests, Cancelled, InFlight, PeakConcurrency,
            DistinctPrompts, DuplicatePrompts, histogram, TokensAdmitted);
    }

    /// <summary>Zeroes the counters, the prompt memory and the histogram. Requests in flight stay counted as in flight.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _succeeded, 0);
        Interlocked.Exchange(ref _rateLimited, 0);
        Interlocked.Exchange(ref _failed, 0);
        Interlocked.Exchange(ref _hung, 0);
        Interlocked.Exchange(ref _badRequests, 0);
        Interlocked.Exchange(ref _cancelled, 0);
        Interlocked.Exchange(ref _distinctPrompts, 0);
        Interlocked.Exchange(ref _duplicatePrompts, 0);
        Interlocked.Exchange(ref _tokensAdmitted, 0);
        var inFlight = InFlight;
        Interlocked.Exchange(ref _peak, inFlight);
        Interlocked.Exchange(ref _intervalPeak, inFlight);
        _prompts.Clear();
        lock (_samplesLock)
        {
            _sampleNext = 0;
            _sampleCount = 0;
            Volatile.Write(ref _epoch, _timeProvider.GetTimestamp());
        }
    }

    /// <summary>Records the in-flight gauge now (the timer calls this every <see cref="SampleInterval"/>).</summary>
    internal void Sample()
    {
        var inFlight = InFlight;
        var peak = Math.Max(Interlocked.Exchange(ref _intervalPeak, inFlight), inFlight);
        lock (_samplesLock)
        {
            var elapsed = (long)_timeProvider.GetElapsedTime(_epoch).TotalMilliseconds;
            _samples[_sampleNext] = new InFlightSample(elapsed, inFlight, peak);
            _sampleNext = (_sampleNext + 1) % _samples.Length;
            _sampleCount = Math.Min(_sampleCount + 1, _samples.Length);
        }
    }

    /// <summary>A request arrived: counts it and raises the gauge (before any latency, so the peak is exact).</summary>
    internal void Enter()
    {
        Interlocked.Increment(ref _requests);
        var inFlight = Interlocked.Increment(ref _inFlight);
        RaiseTo(ref _peak, inFlight);
        RaiseTo(ref _intervalPeak, inFlight);
    }

    /// <summary>A request left, however it ended.</summary>
    internal void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Counts a 200 for the prompt with <paramref name="promptKey"/>.</summary>
    internal void CountSucceeded(ulong promptKey)
    {
        Interlocked.Increment(ref _succeeded);
        var counters = _prompts.GetOrAdd(promptKey, static _ => new PromptCounters());
        if (Interlocked.Increment(ref counters.Successes) == 1)
        {
            Interlocked.Increment(ref _distinctPrompts);
        }
        else
        {
            Interlocked.Increment(ref _duplicatePrompts);
        }
    }

    /// <summary>The number of earlier fault draws for the prompt with <paramref name="promptKey"/>, counting this one.</summary>
    internal int NextAttempt(ulong promptKey)
    {
        var counters = _prompts.GetOrAdd(promptKey, static _ => new PromptCounters());
        return Interlocked.Increment(ref counters.Attempts) - 1;
    }

    internal void CountRateLimited() => Interlocked.Increment(ref _rateLimited);

    internal void CountFailed() => Interlocked.Increment(ref _failed);

    internal void CountHung() => Interlocked.Increment(ref _hung);

    internal void CountBadRequest() => Interlocked.Increment(ref _badRequests);

    internal void CountCancelled() => Interlocked.Increment(ref _cancelled);

    /// <inheritdoc />
    public void Dispose() => _sampler?.Dispose();

    private static void RaiseTo(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private sealed class PromptCounters
    {
        public int Attempts;
        public int Successes;
    }
}
