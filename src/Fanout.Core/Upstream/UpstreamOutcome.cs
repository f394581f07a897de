using Fanout.Core.Models;

namespace Fanout.Core.Upstream;

/// <summary>What the Batch API did for a batch: whether any line went upstream, and the counts of the answers it stored.</summary>
/// <param name="Offloaded">Lines went upstream: the live run that follows skips lines that already have a result.</param>
/// <param name="Counts">The upstream answers stored (completed lines and their tokens).</param>
/// <param name="PulledBack">The upstream batches were cancelled (the deadline, or a cancel of the batch) and the rest runs live.</param>
/// <param name="Cancelled">The batch was cancelled while it waited on the Batch API.</param>
public sealed record UpstreamOutcome(bool Offloaded, BatchCounts Counts, bool PulledBack = false, bool Cancelled = false);
