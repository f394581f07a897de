using Fanout.Simulator;
using Fanout.Simulator.Options;

namespace Fanout.Bench.Scenarios;

/// <summary>One benchmark case: N prompts under a cap of C against a simulator with latency L (and optionally a token quota).</summary>
/// <param name="Name">Name used by <c>--scenario</c> and in the table.</param>
/// <param name="Count">N, the number of prompts.</param>
/// <param name="MaxConcurrency">C, the concurrency cap of both the baseline and the batch.</param>
/// <param name="LatencyMs">L, the simulator's fixed latency per call.</param>
/// <param name="Quick">Part of the <c>--quick</c> set.</param>
/// <param name="QuotaRequestsPerSecond">When set, the simulator's tokens-per-minute quota is sized so that only this many prompts per second fit.</param>
/// <param name="QuotaWindowSeconds">The simulator's sliding quota window (Azure: 60 s); shorter windows reach steady state sooner.</param>
/// <param name="FailureRate">Fraction of calls the simulator answers 500 (fault scenario).</param>
/// <param name="HangRate">Fraction of calls the simulator never answers, until the client's timeout cuts them (fault scenario).</param>
/// <param name="CallTimeoutSeconds">Per-call timeout of every runner's client (<c>Fanout:OpenAI:TimeoutSeconds</c>, the baseline's NetworkTimeout); 0 = defaults.</param>
/// <param name="Watchers">Event streams (<c>GET /api/batches/{id}/events</c>) kept open on the measured batch while it runs (Fanout runners only).</param>
internal sealed record Scenario(
    string Name,
    int Count,
    int MaxConcurrency,
    int LatencyMs,
    bool Quick = false,
    double? QuotaRequestsPerSecond = null,
    int QuotaWindowSeconds = 60,
    double FailureRate = 0,
    double HangRate = 0,
    int CallTimeoutSeconds = 0,
    int Watchers = 0)
{
    /// <summary>Whether the simulator injects faults in this scenario.</summary>
    public bool HasFaults => FailureRate > 0 || HangRate > 0;

    /// <summary>The ideal wall time: ceil(N/C) rounds of L.</summary>
    public TimeSpan Ideal => TimeSpan.FromMilliseconds(Math.Ceiling((double)Count / MaxConcurrency) * LatencyMs);

    /// <summary>Tokens per minute of the quota, sized from <see cref="QuotaRequestsPerSecond"/> and the prompts' average charge; 0 = unlimited.</summary>
    public long TokensPerMinute => QuotaRequestsPerSecond is { } rps
        ? (long)Math.Round(rps * 60 * Enumerable.Range(0, Count).Average(i => (double)Prompts.QuotaCharge(i)))
        : 0;

    /// <summary>The simulator's settings for this scenario.</summary>
    public SimulatorOptions SimulatorOptions() => new()
    {
        LatencyMs = LatencyMs,
        TokensPerMinute = TokensPerMinute,
        QuotaWindowSeconds = QuotaWindowSeconds,
        FailureRate = FailureRate,
        FailureStatusCode = 500,
        HangRate = HangRate,
        Seed = HasFaults ? 5 : null,
    };

    /// <summary>A generous limit for one run, so that a stuck run ends as a row marked "timeout" instead of hanging the bench.</summary>
    public TimeSpan Timeout
    {
        get
        {
            var quotaBound = QuotaRequestsPerSecond is { } rps ? Count / rps : 0;
            var faultBound = HangRate * Count * Math.Max(CallTimeoutSeconds, 1) * 2;
            return TimeSpan.FromSeconds(Math.Max(180, (10 * Ideal.TotalSeconds) + (4 * quotaBound) + faultBound + (Count * 0.1)));
        }
    }
}

/// <summary>The prompts every runner sends: the same texts, one user message each, 32 completion tokens.</summary>
internal static class Prompts
{
    /// <summary>Completion tokens asked for (and charged to the quota) per prompt.</summary>
    public const int MaxTokens = 32;

    /// <summary>The deployment every runner calls.</summary>
    public const string Deployment = "gpt-4o-mini";

    /// <summary>The text of prompt <paramref name="index"/>.</summary>
    public static string Text(int index) => $"Prompt number {index}: say something about {index * 7}.";

    /// <summary>The text of warm-up prompt <paramref name="index"/> (never one of the measured prompts).</summary>
    public static string WarmUpText(int index) => $"Warm-up prompt {index}.";

    /// <summary>What the simulator charges to the token quota for prompt <paramref name="index"/>: its estimate of the prompt plus max_tokens.</summary>
    public static int QuotaCharge(int index) => SimulatorResponder.EstimateTokens(Text(index)) + MaxTokens;
}
