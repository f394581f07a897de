using System.Text.Json.Serialization;
using Fanout.Core.Models;

namespace Fanout.Client.Models;

/// <summary>The batch object of <c>/api/batches</c> (API.md "Batch object"), as far as its clients read it.</summary>
/// <param name="Id">The batch id.</param>
/// <param name="Status">One of the contract's statuses (<c>in_progress</c>, <c>completed</c>, …).</param>
/// <param name="MaxConcurrency">The batch's cap on calls in flight.</param>
/// <param name="RequestCounts">Lines in all, answered and failed.</param>
/// <param name="Usage">Tokens used so far.</param>
/// <param name="OutputBlob">Where the ordered output is stored.</param>
/// <param name="ErrorBlob">Where the failed lines are stored.</param>
/// <param name="Error">Why the batch failed as a whole; null otherwise.</param>
public sealed record FanoutBatch(
    string Id,
    string Status,
    int? MaxConcurrency,
    BatchRequestCounts RequestCounts,
    BatchUsage? Usage,
    string? OutputBlob,
    string? ErrorBlob,
    FanoutError? Error)
{
    /// <summary>When the batch was submitted, in Unix seconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>The live figures of a batch (<c>progress</c>); null where the service gives none.</summary>
    public BatchLiveProgress? Progress { get; init; }

    /// <summary>The cost so far (<c>cost</c>); null where the service gives none.</summary>
    public BatchCostFigures? Cost { get; init; }

    /// <summary>Lines by the tier that answered them (<c>lines_by_tier</c>); null where the service gives none.</summary>
    public TierLineCounts? LinesByTier { get; init; }

    /// <summary>Whether the batch has a final status, after which it never changes again.</summary>
    [JsonIgnore]
    public bool IsFinal => BatchStatus.IsFinal(Status);

    /// <summary>Whether the batch completed and every one of its lines succeeded.</summary>
    [JsonIgnore]
    public bool AllSucceeded => Status == BatchStatus.Completed && RequestCounts.Failed == 0 && RequestCounts.Completed == RequestCounts.Total;
}
