using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Service;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;

namespace Fanout.Core.Api;

/// <summary>One batch: get, cancel, its results and errors. No transport types: typed values, errors as values.</summary>
public sealed class BatchService(BatchStore store)
{
    /// <summary><c>GET /api/batches/{id}</c>.</summary>
    public async Task<ServiceResult<BatchObject>> GetAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (found.IsSuccess)
        {
            return await BatchObjects.FromMetadataAsync(found.Value, client, store, cancellationToken).ConfigureAwait(false);
        }

        // Finished, its history purged (Fanout:Durable:HistoryRetention): the record kept next to its output.
        return IsMissing(found) && await BatchRecords.TryReadAsync(store, id, cancellationToken).ConfigureAwait(false) is { } record
            ? record
            : found.Error;
    }

    /// <summary>Whether batch <paramref name="id"/> has no orchestration any more but its record says it finished (history purged).</summary>
    public async Task<bool> IsPurgedAsync(ServiceResult<OrchestrationMetadata> found, string id, CancellationToken cancellationToken)
        => IsMissing(found) && await BatchRecords.ExistsAsync(store, id, cancellationToken).ConfigureAwait(false);

    private static bool IsMissing(ServiceResult<OrchestrationMetadata> found) => !found.IsSuccess && found.Error.Kind == ErrorKind.NotFound;

    /// <summary><c>GET /api/batches/{id}/results</c> (<paramref name="errorsOnly"/> false) and <c>/errors</c>: the ordered JSONL of a finished batch.</summary>
    public async Task<ServiceResult<ContentBody>> GetOutputAsync(string id, bool errorsOnly, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        var purged = await IsPurgedAsync(found, id, cancellationToken).ConfigureAwait(false);
        if (!purged)
        {
            if (!found.IsSuccess)
            {
                return found.Error;
            }

            if (!BatchLookup.IsFinished(found.Value.RuntimeStatus))
            {
                return ServiceError.Conflict("batch_not_finished", $"Batch {id} is not finished yet; results are available once its status is completed or cancelled.");
            }
        }

        var stream = await store.OpenOutputAsync(id, errorsOnly ? BatchBlobLayout.ErrorsFile : BatchBlobLayout.OutputFile, cancellationToken).ConfigureAwait(false);
        return stream is null
            ? ServiceError.NotFound("output_not_found", $"Batch {id} has no output file; it failed before writing one (see its error).")
            : ContentBody.FromStream(stream);
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>: asks the batch to stop; answers with its object in status <c>cancelling</c>.</summary>
    public async Task<ServiceResult<BatchObject>> CancelAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (await IsPurgedAsync(found, id, cancellationToken).ConfigureAwait(false))
        {
            return BatchLookup.AlreadyFinished(id);
        }

        if (!found.IsSuccess)
        {
            return found.Error;
        }

        if (BatchLookup.IsFinished(found.Value.RuntimeStatus))
        {
            return BatchLookup.AlreadyFinished(id);
        }

        await client.RaiseEventAsync(id, PromptWindow.CancelEvent, "cancel", cancellationToken).ConfigureAwait(false);
        var batch = await BatchObjects.FromMetadataAsync(found.Value, client, store, cancellationToken).ConfigureAwait(false);
        return batch with { Status = BatchStatus.Cancelling };
    }
}
