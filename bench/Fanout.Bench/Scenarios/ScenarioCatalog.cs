using System.Globalization;
using System.Text.RegularExpressions;

namespace Fanout.Bench.Scenarios;

/// <summary>The scenarios of issue 5: the full set and the reduced <c>--quick</c> set.</summary>
internal static partial class ScenarioCatalog
{
    /// <summary>Every scenario, full ones first.</summary>
    public static IReadOnlyList<Scenario> All { get; } =
    [
        // The seed's headline: 10 calls of 3 s, ideally ~3 s concurrently.
        new("seed", 10, 10, 3000),
        new("n1000-c50-l500", 1000, 50, 500),

        // No model latency at all: what is left is the per-prompt overhead.
        new("n1000-c100-l0", 1000, 100, 0),
        new("n10000-c200-l50", 10_000, 200, 50),

        // The cap (100 × 200 ms = 500 calls/s) is far above what the quota admits (20 prompts/s): the runner must use the quota, not the cap.
        new("quota", 1000, 100, 200, QuotaRequestsPerSecond: 20, QuotaWindowSeconds: 10),

        // Issue 6's fault mix: 10 % of calls answered 500, 5 % hang until the 2 s client timeout cuts them. Every line
        // must still complete (retried inside the activity, then by durable timers), in order, with its own answer.
        new("faults", 1000, 50, 100, FailureRate: 0.10, HangRate: 0.05, CallTimeoutSeconds: 2),

        // Issue 22: n1000-c50-l500 with 500 event streams open on the batch; compare its prompts/s with that row's.
        new("watchers", 1000, 50, 500, Watchers: 500),

        new("quick-seed", 10, 10, 1000, Quick: true),
        new("quick-n300-c30-l200", 300, 30, 200, Quick: true),
        new("quick-n300-c50-l0", 300, 50, 0, Quick: true),
    ];

    /// <summary>The scenarios named in <paramref name="names"/> (any set), or else the quick or the full set.</summary>
    public static IReadOnlyList<Scenario> Select(IReadOnlyList<string> names, bool quick)
    {
        if (names.Count == 0)
        {
            return [.. All.Where(s => s.Quick == quick)];
        }

        var selected = new List<Scenario>();
        foreach (var name in names)
        {
            var scenario = All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? Custom(name)
                ?? throw new ArgumentException($"Unknown scenario '{name}'. Known: {string.Join(", ", All.Select(s => s.Name))}, or any n<N>-c<C>-l<L ms>[-w<watchers>].");
            selected.Add(scenario);
        }

        return selected;
    }

    /// <summary>An ad-hoc scenario from a name such as <c>n2000-c200-l50</c> (for experiments), or null.</summary>
    private static Scenario? Custom(string name)
    {
        var match = CustomName().Match(name);
        if (!match.Success)
        {
            return null;
        }

        int Group(int i) => int.Parse(match.Groups[i].Value, CultureInfo.InvariantCulture);
        return Group(1) > 0 && Group(2) > 0
            ? new Scenario(name.ToLowerInvariant(), Group(1), Group(2), Group(3), Watchers: match.Groups[4].Success ? Group(4) : 0)
            : null;
    }

    [GeneratedRegex("^n([0-9]{1,7})-c([0-9]{1,5})-l([0-9]{1,6})(?:-w([0-9]{1,5}))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CustomName();
}
