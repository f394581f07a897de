using Fanout.Simulator.Faults;
using Fanout.Simulator.Options;
using Fanout.Simulator.Stats;
using Xunit;

namespace Fanout.Tests.Simulator;

public sealed class FaultSelectorTests
{
    [Fact]
    public void Seeded_faults_repeat_for_the_same_prompts_and_attempts()
    {
        var options = new SimulatorOptions { FailureRate = 0.3, Http503Rate = 0.1, HangRate = 0.05, Seed = 42 };

        var first = Draw(options);
        var second = Draw(options);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Seeded_faults_change_with_the_seed()
    {
        var a = Draw(new SimulatorOptions { FailureRate = 0.5, Seed = 1 });
        var b = Draw(new SimulatorOptions { FailureRate = 0.5, Seed = 2 });

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Retrying_a_prompt_draws_again()
    {
        using var stats = new SimulatorStats(TimeProvider.System, sample: false);
        var options = new SimulatorOptions { FailureRate = 0.5, Seed = 3 };

        var attempts = Enumerable.Range(0, 64).Select(_ => FaultSelector.Select(options, 12345UL, stats)).ToList();

        Assert.Contains(Fault.None, attempts);
        Assert.Contains(Fault.Failure, attempts);
    }

    [Fact]
    public void Fault_frequencies_follow_the_rates()
    {
        var options = new SimulatorOptions { FailureRate = 0.2, Http503Rate = 0.1, HangRate = 0.05, Seed = 9 };

        var faults = Draw(options, prompts: 100_000);

        Assert.InRange(faults.Count(f => f == Fault.Failure) / 100_000.0, 0.19, 0.21);
        Assert.InRange(faults.Count(f => f == Fault.ServiceUnavailable) / 100_000.0, 0.09, 0.11);
        Assert.InRange(faults.Count(f => f == Fault.Hang) / 100_000.0, 0.04, 0.06);
    }

    [Fact]
    public void No_rates_means_no_faults()
    {
        Assert.All(Draw(new SimulatorOptions()), f => Assert.Equal(Fault.None, f));
    }

    private static List<Fault> Draw(SimulatorOptions options, int prompts = 200)
    {
        using var stats = new SimulatorStats(TimeProvider.System, sample: false);
        return Enumerable.Range(0, prompts).Select(i => FaultSelector.Select(options, (ulong)i * 0x1234567UL, stats)).ToList();
    }
}
