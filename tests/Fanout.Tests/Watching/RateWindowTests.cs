using Fanout.Core.Watching;
using Xunit;

namespace Fanout.Tests.Watching;

public sealed class RateWindowTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_young_batch_is_measured_since_its_creation()
    {
        var window = new RateWindow();

        var p = window.Observe(new RateWindow.Sample(Created.AddSeconds(10), 50, 6000), Created, total: 150, rateLimited: 2, retries: 3);

        Assert.Equal(5, p.LinesPerSecond);
        Assert.Equal(36000, p.TokensPerMinute);
        Assert.Equal(20, p.EtaSeconds);
        Assert.Equal(10, p.WindowSeconds);
        Assert.Equal(2, p.RateLimited);
        Assert.Equal(3, p.Retries);
    }

    [Fact]
    public void Once_samples_span_the_window_the_rate_covers_only_the_last_30_seconds()
    {
        var window = new RateWindow();
        for (var s = 0; s <= 60; s += 2)
        {
            // 10 lines/s for the first 40 s, then 2 lines/s.
            var lines = s <= 40 ? s * 10 : 400 + ((s - 40) * 2);
            window.Observe(new RateWindow.Sample(Created.AddSeconds(s), lines, lines * 100), Created, 10_000, 0, 0);
        }

        var p = window.Observe(new RateWindow.Sample(Created.AddSeconds(70), 460, 46000), Created, 1000, 0, 0);

        // The newest sample at least 30 s old is at 40 s (400 lines): 60 lines in 30 s.
        Assert.Equal(30, p.WindowSeconds);
        Assert.Equal(2, p.LinesPerSecond);
        Assert.Equal(12000, p.TokensPerMinute);
        Assert.Equal(270, p.EtaSeconds);
    }

    [Fact]
    public void An_old_batch_first_seen_now_is_measured_over_the_samples_this_process_has()
    {
        var window = new RateWindow();
        window.Observe(new RateWindow.Sample(Created.AddSeconds(300), 1000, 0), Created, 2000, 0, 0);

        var p = window.Observe(new RateWindow.Sample(Created.AddSeconds(310), 1040, 0), Created, 2000, 0, 0);

        Assert.Equal(10, p.WindowSeconds);
        Assert.Equal(4, p.LinesPerSecond);
        Assert.Equal(240, p.EtaSeconds);
    }

    [Fact]
    public void No_progress_means_no_eta_and_a_finished_batch_has_eta_zero()
    {
        var window = new RateWindow();

        var stalled = window.Observe(new RateWindow.Sample(Created.AddSeconds(5), 0, 0), Created, 10, 0, 0);
        var done = new RateWindow().Observe(new RateWindow.Sample(Created.AddSeconds(5), 10, 0), Created, 10, 0, 0);

        Assert.Null(stalled.EtaSeconds);
        Assert.Equal(0, done.EtaSeconds);
    }
}
