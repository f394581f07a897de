using Fanout.Bench.Scenarios;

namespace Fanout.Bench.Cache;

/// <summary>
/// A response-cache scenario (issue 25), on the memory backend with the cache on:
/// <list type="bullet">
/// <item><c>rerun-90</c>: N lines, then the same batch with every tenth prompt changed; against a cache-less run of the
/// second batch (same output in order and custom_ids; cached bodies equal the first run's).</item>
/// <item><c>dupes</c>: N lines holding <see cref="Distinct"/> requests; calls must equal <see cref="Distinct"/>.</item>
/// </list>
/// </summary>
/// <param name="Name">Name used by <c>--scenario</c>.</param>
/// <param name="Count">N.</param>
/// <param name="MaxConcurrency">C.</param>
/// <param name="LatencyMs">The simulator's latency.</param>
/// <param name="Distinct">For <c>dupes</c>: distinct requests (line i asks prompt i mod Distinct); 0 for a rerun.</param>
internal sealed record CacheScenario(string Name, int Count, int MaxConcurrency, int LatencyMs, int Distinct = 0)
{
    /// <summary>The scenarios.</summary>
    public static IReadOnlyList<CacheScenario> All { get; } =
    [
        new("rerun-90", 10_000, 200, 50),
        new("dupes", 5_000, 200, 50, Distinct: 1_000),
    ];

    /// <summary>Whether <paramref name="name"/> is a cache scenario (also <c>rerun-90-n2000</c> style sizes).</summary>
    public static bool IsCache(string name) => Find(name) is not null;

    /// <summary>The cache scenarios named in <paramref name="names"/>.</summary>
    public static IReadOnlyList<CacheScenario> Select(IReadOnlyList<string> names) => [.. names.Select(Find).OfType<CacheScenario>()];

    /// <summary>The text of line <paramref name="index"/> in the first run (rerun) or the only run (dupes).</summary>
    public string First(int index) => Prompts.Text(Distinct > 0 ? index % Distinct : index);

    /// <summary>The text of line <paramref name="index"/> in the rerun: every tenth prompt changed.</summary>
    public static string Rerun(int index) => index % 10 == 0 ? Prompts.Text(index) + " Changed." : Prompts.Text(index);

    private static CacheScenario? Find(string name)
    {
        // "rerun-90-n2000": the same scenario at another size (a smaller run on a busy machine).
        foreach (var s in All)
        {
            if (string.Equals(name, s.Name, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }

            var sized = s.Name + "-n";
            if (name.StartsWith(sized, StringComparison.OrdinalIgnoreCase) && int.TryParse(name.AsSpan(sized.Length), out var n) && n > 0)
            {
                return s with { Name = name, Count = n, Distinct = s.Distinct > 0 ? Math.Max(1, n / 5) : 0 };
            }
        }

        return null;
    }
}
