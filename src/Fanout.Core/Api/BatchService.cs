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
        return found.IsSuccess
            ? await BatchObjects.FromMetadataAsync(found.Value, client, store, cancellationToken).ConfigureAwait(false)
            : found.Error;
    }

    /// <summary><c>GET /api/batches/{id}/results</c> (<paramref name="errorsOnly"/> false) and <c>/errors</c>: the ordered JSONL of a finished batch.</summary>
    public async Task<ServiceResult<ContentBody>> GetOutputAsync(string id, bool errorsOnly, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        if (!BatchLookup.IsFinished(found.Value.RuntimeStatus))
        {
            return ServiceError.Conflict("batch_not_finished", $"Batch {id} is not finished yet; results are available once its status is completed or cancelled.");
        }

        var stream = await store.OpenOutputAsync(id, errorsOnly ? "errors.jsonl" : "output.jsonl", cancellationToken).ConfigureAwait(false);
        return stream is null
            ? ServiceError.NotFound("output_not_found", $"Batch {id} has no output file; it failed before writing one (see its error).")
            : ContentBody.FromStream(stream);
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>: asks the batch to stop; answers with its object in status <c>cancelling</c>.</summary>
    public async Task<ServiceResult<BatchObject>> CancelAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        if (BatchLookup.IsFinished(found.Value.RuntimeStatus))
        {
            return ServiceError.Conflict("batch_finished", $"Batch {id} has already finished.");
        }

        await client.RaiseEventAsync(id, PromptWindow.CancelEvent, "cancel", cancellationToken).ConfigureAwait(false);
        var batch = await BatchObjects.FromMetadataAsync(found.Value, client, store, cancellationToken).ConfigureAwait(false);
        return batch with { Status = BatchStatus.Cancelling };
    }
}
