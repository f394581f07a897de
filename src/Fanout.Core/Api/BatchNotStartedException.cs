namespace Fanout.Core.Api;

/// <summary>
/// Scheduling a batch failed in storage. <see cref="Exists"/> says whether the batch is known not to exist (false: no
/// batch, the caller may answer 503 and the client send again) or could not be checked (null: the answer must name it).
/// </summary>
public sealed class BatchNotStartedException(string batchId, bool? exists, Exception inner)
    : Exception($"Batch {batchId} could not be scheduled: {inner.Message}", inner)
{
    /// <summary>The batch's id.</summary>
    public string BatchId { get; } = batchId;

    /// <summary>False: it does not exist. Null: unknown (storage did not answer the check either).</summary>
    public bool? Exists { get; } = exists;
}
