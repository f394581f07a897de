using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Service;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Retries;

/// <summary>
/// <c>POST /api/batches/{id}/retry</c> and <c>GET /api/batches/{id}/results?merged=true</c> (API.md, "Estimates,
/// budgets, second tries"), transport-free.
/// </summary>
public sealed partial class BatchRetryService(
    BatchStarter starter,
    BatchStore store,
    IOptions<BatchOptions> batchOptions,
    SubmitAdmission admission,
    ILogger<BatchRetryService> logger)
{
    /// <summary>Metadata key naming the batch a retry runs again.</summary>
    public const string RetryOfKey = "retry_of";

    /// <summary>
    /// Starts a new batch of the lines of <paramref name="id"/> that failed or were cancelled, with its options (cap,
    /// deployment, budget, metadata plus <c>retry_of</c>); 409 while it runs, when it failed as a whole, or when no line
    /// can be tried again. An <paramref name="idempotencyKey"/> makes it return the same retry batch.
    /// </summary>
    public async Task<ServiceResult<BatchObject>> RetryAsync(string id, string? idempotencyKey, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var meta = found.Value;
        if (!BatchLookup.IsFinished(meta.RuntimeStatus))
        {
            return ServiceError.Conflict("batch_not_finished", $"Batch {id} is not finished yet; it can be retried once it is completed or cancelled.");
        }

        var original = meta.ReadInputAs<BatchInput>()!;
        var result = meta.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? meta.ReadOutputAs<BatchResult>() : null;
        if (result is null || result.Status == BatchStatus.Failed)
        {
            return ServiceError.Conflict("batch_failed", $"Batch {id} failed as a whole and has no output to retry; submit it again.");
        }

        if (BatchIds.CheckIdempotencyKey(idempotencyKey) is { } keyError)
        {
            return keyError;
        }

        var retryId = idempotencyKey is null ? BatchIds.New() : BatchIds.Idempotent("retry:" + id + ":" + idempotencyKey);
        if (idempotencyKey is not null && await client.GetInstanceAsync(retryId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return await starter.DescribeAsync(existing, client, cancellationToken).ConfigureAwait(false);
        }

        var chunkSize = batchOptions.Value.ChunkSize;
        var (lines, invalid) = await RetryMerge.PrepareAsync(store, original, result.Total, retryId, chunkSize, cancellationToken).ConfigureAwait(false);
        if (lines == 0)
        {
            var why = invalid > 0 ? $" ({invalid} lines failed validation: they fail the same way every time; fix them in a new batch)" : string.Empty;
            return ServiceError.Conflict("no_failed_lines", $"Batch {id} has no failed or cancelled lines to run again{why}.");
        }

        var input = starter.NewInput(
            retryId,
            original.Deployment,
            original.MaxConcurrency,
            new PreparedBatch(lines, 0, chunkSize),
            metadata: new Dictionary<string, string>(original.Metadata ?? new Dictionary<string, string>()) { [RetryOfKey] = id },
            maxTotalTokens: original.MaxTotalTokens,
            cache: original.Cache,
            retry: new RetrySource(id, $"{id}/{(original.Retry is null ? BatchBlobLayout.OutputFile : RetryMerge.MergedFile)}"));

        // A retry spends as its original was allowed to (standardSpend).
        input = input with { AllowStandard = original.AllowStandard };
        try
        {
            var batch = await starter.StartAndDescribeAsync(client, input, lines, cancellationToken).ConfigureAwait(false);
            LogRetry(logger, retryId, id, lines, invalid);
            return batch;
        }
        catch (BatchNotStartedException e)
        {
            return admission.NotStarted(e);
        }
    }

    /// <summary><c>GET /api/batches/{id}/results?merged=true</c>: the merged output of a finished retry batch.</summary>
    public async Task<ServiceResult<ContentBody>> GetMergedAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        if (found.Value.ReadInputAs<BatchInput>()?.Retry is null)
        {
            return ServiceError.InvalidParameter($"Batch {id} is not a retry (it has no metadata.retry_of): 'merged=true' applies only to retry batches.");
        }

        if (!BatchLookup.IsFinished(found.Value.RuntimeStatus))
        {
            return ServiceError.Conflict("batch_not_finished", $"Batch {id} is not finished yet; its merged output is written when it completes.");
        }

        var stream = await store.OpenOutputAsync(id, RetryMerge.MergedFile, cancellationToken).ConfigureAwait(false);
        return stream is null
            ? ServiceError.NotFound("output_not_found", $"Batch {id} has no merged output; it failed before writing one.")
            : ContentBody.FromStream(stream);
    }

    /// <summary>True when the query asks for the merged output (<c>merged=true</c>).</summary>
    public static bool WantsMerged(QueryArgs query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return bool.TryParse(query.Joined("merged"), out var merged) && merged;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {RetryId} retries {Lines} failed lines of batch {BatchId} ({Invalid} invalid lines left out)")]
    private static partial void LogRetry(ILogger logger, string retryId, string batchId, int lines, int invalid);
}
