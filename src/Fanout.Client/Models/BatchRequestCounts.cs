using System.Globalization;

namespace Fanout.Client.Models;

/// <summary><c>request_counts</c> of a batch.</summary>
/// <param name="Total">Lines in the batch.</param>
/// <param name="Completed">Lines answered.</param>
/// <param name="Failed">Lines failed.</param>
public sealed record BatchRequestCounts(int Total, int Completed, int Failed)
{
    /// <summary>Lines with a result so far.</summary>
    public int Done => Completed + Failed;

    /// <summary>The counts as the API writes them, e.g. <c>{"total":3,"completed":3,"failed":0}</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"total":{{Total}},"completed":{{Completed}},"failed":{{Failed}}}""");
}
