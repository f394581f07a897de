using Fanout.Core.Models;

namespace Fanout.Core.Upstream;

/// <summary>Input of the upstream activities: the batch, its prepared lines and its parts.</summary>
/// <param name="BatchId">The Fanout batch.</param>
/// <param name="Deployment">The batch's deployment (a line's own <c>model</c> wins).</param>
/// <param name="Prepared">Its prepared lines.</param>
/// <param name="Parts">The parts as last known (for upload: null).</param>
/// <param name="Cancel">Poll only: cancel every upstream batch that has not ended (the deadline's pull-back).</param>
public sealed record UpstreamStep(string BatchId, string Deployment, PreparedBatch Prepared, IReadOnlyList<UpstreamPart>? Parts = null, bool Cancel = false);
