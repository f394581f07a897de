using Fanout.Simulator.Options;
using Fanout.Simulator.Stats;

namespace Fanout.Simulator.Faults;

/// <summary>What the simulator does to an admitted request instead of answering it.</summary>
internal enum Fault
{
    None,
    Hang,
    ServiceUnavailable,
    Failure,
}

/// <summary>Draws the fault of a request from the configured rates.</summary>
internal static class FaultSelector
{
    /// <summary>
    /// One draw u in [0, 1): below <c>HangRate</c> hangs, then <c>Http503Rate</c> answers 503, then <c>FailureRate</c> fails.
    /// With a seed u depends only on (seed, prompt, attempt), otherwise it is random.
    /// </summary>
    public static Fault Select(SimulatorOptions options, ulong promptKey, SimulatorStats stats)
    {
        double hang = options.HangRate, unavailable = options.Http503Rate, failure = options.FailureRate;
        if (hang <= 0 && unavailable <= 0 && failure <= 0)
        {
            return Fault.None;
        }

        var u = options.Seed is { } seed ? Unit(promptKey, seed, stats.NextAttempt(promptKey)) : Random.Shared.NextDouble();
        return u < hang ? Fault.Hang
            : u < hang + unavailable ? Fault.ServiceUnavailable
            : u < hang + unavailable + failure ? Fault.Failure
            : Fault.None;
    }

    /// <summary>A uniform number in [0, 1) from (prompt, seed, attempt), by chained SplitMix64 finalisations.</summary>
    internal static double Unit(ulong promptKey, int seed, int attempt)
    {
        var x = Mix(Mix(promptKey ^ (uint)seed) + ((ulong)(uint)attempt * 0x9E3779B97F4A7C15UL));
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
