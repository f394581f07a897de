using Fanout.Core.Models;

namespace Fanout.Core.Watching;

/// <summary>The list object of <c>GET /api/batches</c>.</summary>
public sealed record BatchList(IReadOnlyList<BatchObject> Data, bool HasMore)
{
    /// <summary>Always "list".</summary>
    public string Object => "list";

    /// <summary>The id of the first batch of the page.</summary>
    public string? FirstId => Data.Count > 0 ? Data[0].Id : null;

    /// <summary>The id of the last batch of the page.</summary>
    public string? LastId => Data.Count > 0 ? Data[^1].Id : null;
}
