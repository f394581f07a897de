using Fanout.Core.Orchestrations;
using Xunit;

namespace Fanout.Tests.Orchestrations;

public sealed class AdaptiveWindowTests
{
    [Fact]
    public void Starts_at_the_ceiling_and_never_exceeds_it()
    {
        var w = new AdaptiveWindow(10);
        for (var i = 0; i < 1000; i++)
        {
            w.OnSuccess();
        }

        Assert.Equal(10, w.Current);
    }

    [Fact]
    public void A_burst_of_429s_halves_the_window_once_per_window_of_completions()
    {
        var w = new AdaptiveWindow(64);

        w.OnThrottled();
        Assert.Equal(32, w.Current);
        for (var i = 0; i < 10; i++)
        {
            w.OnThrottled();
        }

        Assert.Equal(32, w.Current);
        for (var i = 0; i < 30; i++)
        {
            w.OnThrottled();
        }

        Assert.Equal(16, w.Current);
    }

    [Fact]
    public void Grows_by_one_per_few_windows_of_successes_and_never_drops_below_one()
    {
        var w = new AdaptiveWindow(100);
        for (var i = 0; i < 50; i++)
        {
            for (var j = 0; j < 200; j++)
            {
                w.OnThrottled();
            }
        }

        Assert.Equal(1, w.Current);
        var sizes = new List<int>();
        for (var i = 0; i < 30; i++)
        {
            w.OnSuccess();
            sizes.Add(w.Current);
        }

        // +1 per IncreaseRounds (4) windows of successes: 1 → 2 after ~6 successes, → 3 after ~16, → 4 after ~30.
        Assert.Equal(1, sizes[4]);
        Assert.Equal(2, sizes[5]);
        Assert.Equal(3, sizes[15]);
        Assert.Equal(4, sizes[29]);
    }
}
