using Fanout.Simulator.Stats;
using Xunit;

namespace Fanout.Tests.Simulator;

public sealed class SimulatorStatsTests
{
    [Fact]
    public void Peak_concurrency_is_exact_under_contention()
    {
        using var stats = new SimulatorStats(TimeProvider.System, sample: false);
        using var barrier = new Barrier(8);

        // Dedicated threads: all eight must be inside at once, whatever the thread pool is doing.
        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
        {
            stats.Enter();
            barrier.SignalAndWait();
            stats.Exit();
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(8, stats.PeakConcurrency);
        Assert.Equal(0, stats.InFlight);
        Assert.Equal(8, stats.Requests);
    }

    [Fact]
    public void Duplicate_prompts_count_repeated_successes()
    {
        using var stats = new SimulatorStats(TimeProvider.System, sample: false);

        stats.CountSucceeded(1);
        stats.CountSucceeded(2);
        stats.CountSucceeded(1);
        stats.CountSucceeded(1);

        Assert.Equal((4L, 2L, 2L), (stats.Succeeded, stats.DistinctPrompts, stats.DuplicatePrompts));
    }

    [Fact]
    public void Histogram_keeps_the_last_samples_oldest_first()
    {
        var clock = new ManualTimeProvider();
        using var stats = new SimulatorStats(clock, histogramCapacity: 3, sample: false);

        for (var i = 1; i <= 5; i++)
        {
            stats.Enter();
            clock.Advance(TimeSpan.FromMilliseconds(100));
            stats.Sample();
        }

        var histogram = stats.Snapshot().InFlightHistogram;
        Assert.Equal([new(300, 3, 3), new(400, 4, 4), new InFlightSample(500, 5, 5)], histogram);
    }

    [Fact]
    public void Histogram_sample_reports_the_peak_since_the_previous_sample()
    {
        var clock = new ManualTimeProvider();
        using var stats = new SimulatorStats(clock, sample: false);

        stats.Enter();
        stats.Enter();
        stats.Exit();
        stats.Exit();
        stats.Sample();
        stats.Sample();

        Assert.Equal([new(0, 0, 2), new InFlightSample(0, 0, 0)], stats.Snapshot().InFlightHistogram);
    }

    [Fact]
    public void Reset_zeroes_counters_but_keeps_requests_in_flight()
    {
        using var stats = new SimulatorStats(TimeProvider.System, sample: false);
        stats.Enter();
        stats.Enter();
        stats.CountSucceeded(1);
        stats.CountRateLimited();
        stats.Exit();
        stats.Sample();

        stats.Reset();

        var snapshot = stats.Snapshot();
        Assert.Equal((0L, 0L, 0L, 0L, 0L), (snapshot.Requests, snapshot.Succeeded, snapshot.RateLimited, snapshot.DistinctPrompts, snapshot.DuplicatePrompts));
        Assert.Equal((1, 1), (snapshot.InFlight, snapshot.PeakConcurrency));
        Assert.Empty(snapshot.InFlightHistogram);
    }
}
