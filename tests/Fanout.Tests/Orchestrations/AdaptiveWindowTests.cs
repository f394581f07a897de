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
    public void Grows_by_about_one_per_window_of_successes_and_never_drops_below_one()
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
        for (var i = 0; i < 10; i++)
        {
            w.OnSuccess();
        }

        Assert.InRange(w.Current, 4, 6);
    }
}
