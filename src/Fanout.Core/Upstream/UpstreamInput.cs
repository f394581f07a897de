using Fanout.Core.Models;

namespace Fanout.Core.Upstream;

/// <summary>Input of <see cref="Orchestrations.UpstreamOrchestrator"/> (and what it carries when it continues as new).</summary>
/// <param name="Batch">The Fanout batch (its id, deployment, deadline).</param>
/// <param name="Prepared">Its prepared lines.</param>
/// <param name="Plan">The plan read at the start; null before.</param>
/// <param name="Parts">The upstream parts; null before they are uploaded.</param>
/// <param name="PullingBack">The deadline forced a pull-back: the parts are being cancelled.</param>
/// <param name="Polls">Looks at the upstream batches since the start (the orchestration continues as new every few dozen).</param>
public sealed record UpstreamInput(
    BatchInput Batch, PreparedBatch Prepared, UpstreamPlan? Plan = null, IReadOnlyList<UpstreamPart>? Parts = null, bool PullingBack = false, int Polls = 0);
