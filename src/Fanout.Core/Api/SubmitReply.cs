using Fanout.Core.Estimates;
using Fanout.Core.Models;

namespace Fanout.Core.Api;

/// <summary>What a submit answers: the batch started (or found again by its Idempotency-Key), or the estimate of a dry run.</summary>
/// <param name="Batch">The batch, when one was started or found.</param>
/// <param name="Estimate">The estimate, for <c>dryRun=true</c>.</param>
public sealed record SubmitReply(BatchObject? Batch, BatchEstimate? Estimate);
