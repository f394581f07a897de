namespace Fanout.Core.Models;

/// <summary>What storage holds for a batch: the lines with no stored result, and the counts of those stored.</summary>
/// <param name="Missing">Lines without a result line in any segment, in input order.</param>
/// <param name="Stored">Counts of the stored result lines (answers, errors, usage); throttling counters stay zero.</param>
/// <param name="Unlisted">
/// Segments storage acknowledged to this process that its listing did not return (deleted, or lost by storage): their
/// lines count as missing, as on any other host (normally 0).
/// </param>
public sealed record ResultCheck(IReadOnlyList<int> Missing, BatchCounts Stored, int Unlisted = 0);
