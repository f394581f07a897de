using Fanout.Core.Cost;
using Fanout.Core.Watching;

namespace Fanout.Core.Models;

/// <summary>The public batch object of API.md.</summary>
public sealed record BatchObject(
    string Id,
    string Status,
    long CreatedAt,
    long? CompletedAt,
    int MaxConcurrency,
    string Deployment,
    RequestCounts RequestCounts,
    Usage Usage,
    string OutputBlob,
    string ErrorBlob,
    IReadOnlyDictionary<string, string> Metadata,
    int? CurrentConcurrency = null,
    ApiError? Error = null,
    long? MaxTotalTokens = null,
    LiveProgress? Progress = null,
    IReadOnlyDictionary<string, DeploymentUsage>? UsageByDeployment = null,
    BatchCost? Cost = null,
    LinesByTier? LinesByTier = null)
{
    private static readonly IReadOnlyDictionary<string, DeploymentUsage> NoUsage = new Dictionary<string, DeploymentUsage>();

    /// <summary>Always "batch".</summary>
    public string Object => "batch";

    /// <summary>The object of a finished batch (what finalize stores as <c>batch.json</c>).</summary>
    public static BatchObject Finished(BatchInput input, BatchResult result, string outputBlob, string errorBlob)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(result);
        return new(
            input.BatchId,
            result.Status,
            input.CreatedAt,
            result.CompletedAt,
            input.MaxConcurrency,
            input.Deployment,
            new RequestCounts(result.Total, result.Counts.Completed, result.Counts.Failed, result.Counts.Cached),
            new Usage(result.Counts.PromptTokens, result.Counts.CompletionTokens),
            outputBlob,
            errorBlob,
            input.Metadata ?? new Dictionary<string, string>(),
            null,
            result.ErrorCode is null ? null : new ApiError(result.ErrorCode, result.ErrorMessage ?? result.ErrorCode),
            input.MaxTotalTokens,
            UsageByDeployment: result.Counts.ByDeployment ?? NoUsage,
            Cost: BatchCost.Of(input.Pricing, result.Counts.ByDeployment),
            LinesByTier: LinesByTier.Of(result.Counts.ByDeployment, result.Counts.Cached));
    }

    /// <summary>The object of a batch just started: in progress, nothing done yet.</summary>
    public static BatchObject Started(BatchInput input, int total, string outputBlob, string errorBlob)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new(input.BatchId, BatchStatus.InProgress, input.CreatedAt, null, input.MaxConcurrency, input.Deployment, new RequestCounts(total, 0, 0),
            new Usage(0, 0), outputBlob, errorBlob, input.Metadata ?? new Dictionary<string, string>(), MaxTotalTokens: input.MaxTotalTokens,
            Cost: BatchCost.Of(input.Pricing, null), LinesByTier: new LinesByTier());
    }
}
