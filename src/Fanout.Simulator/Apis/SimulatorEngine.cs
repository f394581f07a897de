using Fanout.Simulator.Options;
using Fanout.Simulator.RateLimiting;
using Fanout.Simulator.Stats;

namespace Fanout.Simulator.Apis;

/// <summary>The simulator's shared state: its options (read live), counters, quota and clock.</summary>
internal sealed class SimulatorEngine(
    SimulatorOptions options, SimulatorStats stats, SlidingWindowRateLimiter limiter, TimeProvider timeProvider, CancellationToken stopping)
{
    private long _epoch = timeProvider.GetTimestamp();

    /// <summary>The files and batches of its Batch API (<c>Kind=batch</c> deployments).</summary>
    public Batches.SimulatorBatchStore Batches { get; } = new(options, timeProvider);

    public SimulatorOptions Options => options;

    public SimulatorStats Stats => stats;

    public SlidingWindowRateLimiter Limiter => limiter;

    public TimeProvider TimeProvider => timeProvider;

    /// <summary>Counters per deployment.</summary>
    public DeploymentStats Deployments { get; } = new();

    /// <summary>Deployments stopped or started at run time, overriding their options.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DeploymentOutage> _outages = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Takes <paramref name="deployment"/> down (<paramref name="outage"/>) or up (<see cref="DeploymentOutage.None"/>) until told otherwise.</summary>
    public void SetOutage(string deployment, DeploymentOutage outage) => _outages[deployment] = outage;

    /// <summary>Whether <paramref name="deployment"/> is down now, and how: set at run time, in its options, or in its outage window.</summary>
    public DeploymentOutage OutageOf(string deployment, SimulatorDeploymentOptions? settings)
    {
        if (_outages.TryGetValue(deployment, out var set))
        {
            return set;
        }

        if (settings is null)
        {
            return DeploymentOutage.None;
        }

        if (settings.Outage != DeploymentOutage.None)
        {
            return settings.Outage;
        }

        if (settings.OutageDurationSeconds <= 0)
        {
            return DeploymentOutage.None;
        }

        var elapsed = timeProvider.GetElapsedTime(Volatile.Read(ref _epoch)).TotalSeconds;
        return elapsed >= settings.OutageStartSeconds && elapsed < settings.OutageStartSeconds + settings.OutageDurationSeconds
            ? settings.OutageMode
            : DeploymentOutage.None;
    }

    /// <summary>Cancelled when the host stops, so hung requests let go.</summary>
    public CancellationToken Stopping => stopping;

    /// <summary>Zeroes the counters, empties the quota windows and restarts the clock of the 429 burst window.</summary>
    public void Reset()
    {
        stats.Reset();
        limiter.Reset();
        Deployments.Reset();
        Volatile.Write(ref _epoch, timeProvider.GetTimestamp());
    }

    /// <summary>Whether now falls in the configured all-429 window, and how long it still lasts.</summary>
    public bool InBurst429(out TimeSpan remaining)
    {
        remaining = TimeSpan.Zero;
        var duration = options.Burst429DurationSeconds;
        if (duration <= 0)
        {
            return false;
        }

        var elapsed = timeProvider.GetElapsedTime(Volatile.Read(ref _epoch)).TotalSeconds;
        var start = options.Burst429StartSeconds;
        if (elapsed < start || elapsed >= start + duration)
        {
            return false;
        }

        remaining = TimeSpan.FromSeconds(start + duration - elapsed);
        return true;
    }
}
