using Fanout.Core.Service;
using Microsoft.DurableTask.Client;

namespace Fanout.Core.Api;

/// <summary>Finding a batch's orchestration, and the one rule for "is the batch finished".</summary>
public static class BatchLookup
{
    /// <summary>
    /// The runtime statuses of an orchestration that has ended: a batch in one of them has a final
    /// <see cref="Models.BatchStatus"/> (completed, cancelled or failed) and never runs again.
    /// </summary>
    public static readonly IReadOnlyList<OrchestrationRuntimeStatus> FinishedRuntimeStatuses =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    /// <summary>True when the orchestration of a batch has ended (one of <see cref="FinishedRuntimeStatuses"/>).</summary>
    public static bool IsFinished(OrchestrationRuntimeStatus status) => FinishedRuntimeStatuses.Contains(status);

    /// <summary>The orchestration of batch <paramref name="id"/> with its input and output; 400 for a malformed id, 404 when there is none.</summary>
    public static async Task<ServiceResult<OrchestrationMetadata>> FindAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!BatchIds.IsValid(id))
        {
            return ServiceError.Invalid("invalid_batch_id", BatchIds.InvalidIdMessage);
        }

        var meta = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return meta is null ? NotFound(id) : meta;
    }

    /// <summary>The 404 of a batch id.</summary>
    public static ServiceError NotFound(string id, string? where = null)
        => ServiceError.NotFound("batch_not_found", $"No batch with id '{id}'{where}.");

    /// <summary>The 409 of a cancel of a batch that has finished (also one whose history was purged).</summary>
    public static ServiceError AlreadyFinished(string id)
        => ServiceError.Conflict("batch_finished", $"Batch {id} has already finished.");
}
