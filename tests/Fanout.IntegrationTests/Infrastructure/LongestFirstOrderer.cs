using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Fanout.IntegrationTests.Infrastructure.LongestFirstOrderer", "Fanout.IntegrationTests")]

// Three collections at once on a 2-core runner: the crash and scale-out tests spend much of their time waiting on
// process starts, kills and restarts, so a third lane fills the cores (measured: 1 to 1.5 of 15 minutes saved).
[assembly: CollectionBehavior(MaxParallelThreads = 3)]

namespace Fanout.IntegrationTests.Infrastructure;

/// <summary>
/// Starts the longest test classes first, so that the 200,000-line batch and the crash tests run beside everything else
/// instead of alone at the end (CI's wall time is the longest of the lanes). The rest keep a stable order by name.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    // Longest first, as measured in CI: minutes each.
    private static readonly string[] Longest =
    [
        "Scale.LargeBatchTests",
        "EndToEnd.EmbeddedCrashTests",
        "EndToEnd.CrashResumeTests",
        "Scale.MultiHostTests",
    ];

    /// <inheritdoc />
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
        => testCollections.OrderBy(Rank).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    private static int Rank(ITestCollection collection)
    {
        var index = Array.FindIndex(Longest, name => collection.DisplayName.EndsWith(name, StringComparison.Ordinal));
        return index < 0 ? Longest.Length : index;
    }
}
