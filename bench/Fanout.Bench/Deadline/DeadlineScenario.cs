namespace Fanout.Bench.Deadline;

/// <summary>
/// A deadline scenario (issue 21): one model with a standard member (quota such that the batch needs
/// <see cref="LiveSeconds"/> live) and a <c>batch</c> member (the simulator's Batch API, <see cref="TurnaroundSeconds"/>);
/// the batch runs all live (no deadline) and with <see cref="DeadlineSeconds"/>, and the two are compared.
/// </summary>
/// <param name="Name">Name used by <c>--scenario</c>.</param>
/// <param name="Count">N.</param>
/// <param name="MaxConcurrency">C.</param>
/// <param name="TurnaroundSeconds">The batch member's turnaround.</param>
/// <param name="DeadlineSeconds">The batch's deadline, from its submission.</param>
/// <param name="LiveSeconds">How long the whole batch takes live at the standard member's token quota.</param>
internal sealed record DeadlineScenario(string Name, int Count, int MaxConcurrency, double TurnaroundSeconds, int DeadlineSeconds, double LiveSeconds)
{
    /// <summary>The scenarios.</summary>
    public static IReadOnlyList<DeadlineScenario> All { get; } =
    [
        new("deadline-cheap", 2_000, 64, 60, 600, 75),
        new("deadline-tight", 2_000, 64, 1_800, 180, 75),
    ];

    /// <summary>Whether <paramref name="name"/> is a deadline scenario (also <c>deadline-cheap-n500</c> style sizes).</summary>
    public static bool IsDeadline(string name) => Find(name) is not null;

    /// <summary>The deadline scenarios named in <paramref name="names"/>.</summary>
    public static IReadOnlyList<DeadlineScenario> Select(IReadOnlyList<string> names) => [.. names.Select(Find).OfType<DeadlineScenario>()];

    private static DeadlineScenario? Find(string name)
    {
        foreach (var s in All)
        {
            if (string.Equals(name, s.Name, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }

            var sized = s.Name + "-n";
            if (name.StartsWith(sized, StringComparison.OrdinalIgnoreCase) && int.TryParse(name.AsSpan(sized.Length), out var n) && n > 0)
            {
                return s with { Name = name, Count = n };
            }
        }

        return null;
    }
}
