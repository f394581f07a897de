using Fanout.Core.Api;
using Fanout.Core.Cost;
using Fanout.Core.Models;

namespace Fanout.Core.OpenAICompat;

/// <summary>OpenAI's batch object (API.md, "OpenAI-compatible Batch surface"), plus Fanout's <c>max_concurrency</c>.</summary>
public sealed record OpenAIBatchObject
{
    /// <summary>The batch id; the same batch is <c>/api/batches/{id}</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Always "batch".</summary>
    public string Object => "batch";

    /// <summary>The endpoint every line's url must match.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Why the batch failed as a whole; null otherwise.</summary>
    public OpenAIBatchErrors? Errors { get; init; }

    /// <summary>The uploaded input file (null for batches submitted to <c>/api/batches</c>).</summary>
    public string? InputFileId { get; init; }

    /// <summary>The batch's deadline from its creation: "24h" unless the create gave another <c>completion_window</c>.</summary>
    public string CompletionWindow { get; init; } = "24h";

    /// <summary><c>validating</c>, <c>in_progress</c>, <c>finalizing</c>, <c>completed</c>, <c>failed</c>, <c>cancelling</c> or <c>cancelled</c>.</summary>
    public required string Status { get; init; }

    /// <summary>The successful lines, in input order; null until finished or when none succeeded.</summary>
    public string? OutputFileId { get; init; }

    /// <summary>The failed lines, in input order; null until finished or when none failed.</summary>
    public string? ErrorFileId { get; init; }

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>Unix seconds; see the closing note for how it is approximated.</summary>
    public long? InProgressAt { get; init; }

    /// <summary>created_at + 24 h (Fanout never expires a batch).</summary>
    public long? ExpiresAt { get; init; }

    /// <summary>Not recorded by Fanout: null.</summary>
    public long? FinalizingAt { get; init; }

    /// <summary>When a completed batch finished.</summary>
    public long? CompletedAt { get; init; }

    /// <summary>When a failed batch failed.</summary>
    public long? FailedAt { get; init; }

    /// <summary>Fanout never expires a batch: null.</summary>
    public long? ExpiredAt { get; init; }

    /// <summary>Not recorded by Fanout: null.</summary>
    public long? CancellingAt { get; init; }

    /// <summary>When a cancelled batch finished.</summary>
    public long? CancelledAt { get; init; }

    /// <summary>Lines in all, succeeded and failed.</summary>
    public required RequestCounts RequestCounts { get; init; }

    /// <summary>The caller's metadata.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>Token usage of the answered lines.</summary>
    public required OpenAIBatchUsage Usage { get; init; }

    /// <summary>Fanout's cap on calls in flight.</summary>
    public int MaxConcurrency { get; init; }

    /// <summary>Fanout's token budget (<c>max_total_tokens</c> on create), null without one.</summary>
    public long? MaxTotalTokens { get; init; }

    /// <summary>What the batch cost so far, total and by tier (as on the native batch object).</summary>
    public BatchCost? Cost { get; init; }

    /// <summary>Lines answered per tier (as on the native batch object).</summary>
    public LinesByTier? LinesByTier { get; init; }
}
