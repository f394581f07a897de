using Fanout.Bench.Scenarios;
using Fanout.Simulator.Options;

namespace Fanout.Bench.Pool;

/// <summary>
/// A pool scenario (issue 13): N prompts over three simulator deployments whose token quotas bind, against the same-run
/// baseline (the seed's approach on one deployment, <see cref="Runners.BaselineRunner"/>).
/// </summary>
/// <param name="Name">Name used by <c>--scenario</c>.</param>
/// <param name="Count">N.</param>
/// <param name="MaxConcurrency">C: far above what the quotas admit, so that quota, not the cap, sets the pace.</param>
/// <param name="LatencyMs">The simulator's latency.</param>
/// <param name="UnitRequestsPerSecond">Prompts per second that a quota share of 1 admits.</param>
/// <param name="Shares">Each member's quota in units (east, west, north).</param>
/// <param name="Outage">Take the last member down (503) for the middle third of the expected run.</param>
/// <param name="RunSingle">Also run Fanout on one deployment (the largest member's quota), for the pool's speed-up.</param>
/// <param name="Tiers">Each member's <c>Fanout:OpenAI:Pool:{i}:Tier</c> (issue 21); null = all standard.</param>
internal sealed record PoolScenario(
    string Name, int Count, int MaxConcurrency, int LatencyMs, double UnitRequestsPerSecond, int[] Shares, bool Outage = false, bool RunSingle = false, string[]? Tiers = null)
{
    /// <summary>Quota window of the simulator: short, so that steady state comes within a second or two.</summary>
    public const int WindowSeconds = 2;

    /// <summary>The members' deployment names.</summary>
    public static readonly string[] Members = ["east", "west", "north"];

    /// <summary>The scenarios.</summary>
    public static IReadOnlyList<PoolScenario> All { get; } =
    [
        new("pool", 900, 64, 50, 30, [1, 1, 1], RunSingle: true),
        new("pool-uneven", 840, 64, 50, 10, [4, 2, 1]),
        new("pool-outage", 1200, 64, 50, 30, [1, 1, 1], Outage: true),

        // Issue 21: east is provisioned with 60 % of the summed quota; west and north are standard and take the rest.
        new("ptu-first", 900, 64, 50, 10, [6, 2, 2], Tiers: ["provisioned", "standard", "standard"]),
    ];

    /// <summary>Whether <paramref name="name"/> is a pool scenario.</summary>
    public static bool IsPool(string name) => All.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The pool scenarios named in <paramref name="names"/>.</summary>
    public static IReadOnlyList<PoolScenario> Select(IReadOnlyList<string> names)
        => [.. names.Select(n => All.FirstOrDefault(s => string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase))).OfType<PoolScenario>()];

    /// <summary>Average quota charge of one prompt (prompt estimate + max_tokens).</summary>
    public double ChargePerPrompt => Enumerable.Range(0, Count).Average(i => (double)Prompts.QuotaCharge(i));

    /// <summary>Tokens per minute of member <paramref name="i"/>.</summary>
    public long MemberTokensPerMinute(int i) => (long)Math.Round(Shares[i] * UnitRequestsPerSecond * 60 * ChargePerPrompt);

    /// <summary>The summed quota of the members that are up.</summary>
    public long SummedTokensPerMinute(params int[] members) => (members.Length == 0 ? Enumerable.Range(0, Shares.Length) : members).Sum(MemberTokensPerMinute);

    /// <summary>The single deployment of the baseline: the largest member's quota.</summary>
    public Scenario Single => new(Name, Count, MaxConcurrency, LatencyMs, QuotaRequestsPerSecond: Shares.Max() * UnitRequestsPerSecond, QuotaWindowSeconds: WindowSeconds);

    /// <summary>The simulator: the single deployment (<c>gpt-4o-mini</c>) for the baselines, and the three members.</summary>
    public SimulatorOptions SimulatorOptions()
    {
        var options = Single.SimulatorOptions();
        for (var i = 0; i < Members.Length; i++)
        {
            options.Deployments[Members[i]] = new SimulatorDeploymentOptions { TokensPerMinute = MemberTokensPerMinute(i), Model = $"{Members[i]}-model" };
        }

        return options;
    }

    /// <summary>The host's pool configuration (as <c>--key=value</c> overrides): three members of the model the batch names.</summary>
    public IReadOnlyList<string> PoolOverrides(Uri endpoint)
    {
        var overrides = new List<string>();
        for (var i = 0; i < Members.Length; i++)
        {
            overrides.Add($"--Fanout:OpenAI:Pool:{i}:Endpoint={endpoint}");
            overrides.Add($"--Fanout:OpenAI:Pool:{i}:Deployment={Members[i]}");
            overrides.Add($"--Fanout:OpenAI:Pool:{i}:ApiKey=sim");
            overrides.Add($"--Fanout:OpenAI:Pool:{i}:Model={Prompts.Deployment}");
            overrides.Add($"--Fanout:OpenAI:Pool:{i}:TokensPerMinute={MemberTokensPerMinute(i)}");
            if (Tiers is not null)
            {
                overrides.Add($"--Fanout:OpenAI:Pool:{i}:Tier={Tiers[i]}");
            }
        }

        return overrides;
    }

    /// <summary>The pool's expected wall time: N at the summed quota, and at two thirds of it for the outage's third.</summary>
    public TimeSpan ExpectedWall
    {
        get
        {
            var full = Shares.Sum() * UnitRequestsPerSecond;
            if (!Outage)
            {
                return TimeSpan.FromSeconds(Count / full);
            }

            var down = (Shares.Sum() - Shares[^1]) * UnitRequestsPerSecond;
            return TimeSpan.FromSeconds(Count / (((2 * full) + down) / 3));
        }
    }
}
