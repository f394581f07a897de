using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Retries;

/// <summary>
/// <c>POST /api/batches/{id}/retry</c> and <c>GET /api/batches/{id}/results?merged=true</c> (API.md, "Estimates,
/// budgets, second tries"), host-agnostic like <see cref="BatchApi"/>.
/// </summary>
public sealed partial class BatchRetryApi(
    BatchApi api,
    BatchStore store,
    IOptions<BatchOptions> batchOptions,
    IOptions<OpenAIOptions> openAIOptions,
    TimeProvider time,
    ILogger<BatchRetryApi> logger)
{
    /// <summary>Metadata key naming the batch a retry runs again.</summary>
    public const string RetryOfKey = "retry_of";

    /// <summary>
    /// Starts a new batch of the lines of <paramref name="id"/> that failed or were cancelled, with its options (cap,
    /// deployment, budget, metadata plus <c>retry_of</c>); 409 while it runs, when it failed as a whole, or when no line
    /// can be tried again. An <c>Idempotency-Key</c> makes it return the same retry batch.
    /// </summary>
    public async Task<IResult> RetryAsync(string id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (meta, error) = await BatchApi.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (meta!.RuntimeStatus is not (OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
        {
            return BatchApi.Error(StatusCodes.Status409Conflict, "batch_not_finished", $"Batch {id} is not finished yet; it can be retried once it is completed or cancelled.");
        }

        var original = meta.ReadInputAs<BatchInput>()!;
        var result = meta.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? meta.ReadOutputAs<BatchResult>() : null;
        if (result is null || result.Status == BatchStatus.Failed)
        {
            return BatchApi.Error(StatusCodes.Status409Conflict, "batch_failed", $"Batch {id} failed as a whole and has no output to retry; submit it again.");
        }

        string? key = request.Headers.TryGetValue(BatchApi.IdempotencyKeyHeader, out var keys) ? keys.ToString() : null;
        if (key is { Length: 0 or > 256 })
        {
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_idempotency_key", "Idempotency-Key must be 1-256 characters.");
        }

        var retryId = key is null ? "batch_" + Guid.NewGuid().ToString("N") : BatchApi.IdempotentId("retry:" + id + ":" + key);
        if (key is not null && await client.GetInstanceAsync(retryId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return await api.AcceptedAsync(existing, client, cancellationToken).ConfigureAwait(false);
        }

        var o = batchOptions.Value;
        var (lines, invalid) = await RetryMerge.PrepareAsync(store, original, result.Total, retryId, o.ChunkSize, cancellationToken).ConfigureAwait(false);
        if (lines == 0)
        {
            var why = invalid > 0 ? $" ({invalid} lines failed validation: they fail the same way every time; fix them in a new batch)" : string.Empty;
            return BatchApi.Error(StatusCodes.Status409Conflict, "no_failed_lines", $"Batch {id} has no failed or cancelled lines to run again{why}.");
        }

        var metadata = new Dictionary<string, string>(original.Metadata ?? new Dictionary<string, string>()) { [RetryOfKey] = id };
        var input = new BatchInput(
            retryId,
            original.Deployment,
            original.MaxConcurrency,
            time.GetUtcNow().ToUnixTimeSeconds(),
            Prepared: new PreparedBatch(lines, 0, o.ChunkSize),
            Metadata: metadata,
            ChunkSize: o.ChunkSize,
            MinChunkWindow: o.MinChunkWindow,
            MaxDurableRetries: openAIOptions.Value.MaxDurableRetries,
            MaxCallSeconds: openAIOptions.Value.MaxCallSeconds,
            MaxTotalTokens: original.MaxTotalTokens,
            Retry: new RetrySource(id, $"{id}/{(original.Retry is null ? BatchBlobLayout.OutputFile : RetryMerge.MergedFile)}"));
        await api.StartAsync(client, input, cancellationToken).ConfigureAwait(false);
        LogRetry(logger, retryId, id, lines, invalid);
        var started = await client.GetInstanceAsync(retryId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return started is null
            ? BatchApi.Accepted(new BatchObject(retryId, BatchStatus.InProgress, input.CreatedAt, null, input.MaxConcurrency, input.Deployment,
                new RequestCounts(lines, 0, 0), new Usage(0, 0), store.OutputBlobPath(retryId), store.ErrorBlobPath(retryId), metadata, MaxTotalTokens: input.MaxTotalTokens))
            : await api.AcceptedAsync(started, client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/batches/{id}/results?merged=true</c>: the merged output of a finished retry batch, streamed.</summary>
    public async Task<IResult> GetMergedAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (meta, error) = await BatchApi.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (meta!.ReadInputAs<BatchInput>()?.Retry is null)
        {
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", $"Batch {id} is not a retry (it has no metadata.retry_of): 'merged=true' applies only to retry batches.");
        }

        if (meta.RuntimeStatus is not (OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
        {
            return BatchApi.Error(StatusCodes.Status409Conflict, "batch_not_finished", $"Batch {id} is not finished yet; its merged output is written when it completes.");
        }

        var stream = await store.OpenOutputAsync(id, RetryMerge.MergedFile, cancellationToken).ConfigureAwait(false);
        return stream is null
            ? BatchApi.Error(StatusCodes.Status404NotFound, "output_not_found", $"Batch {id} has no merged output; it failed before writing one.")
            : Results.Stream(stream, "application/jsonl; charset=utf-8");
    }

    /// <summary>True when the request asks for the merged output (<c>merged=true</c>).</summary>
    public static bool WantsMerged(IQueryCollection query)
        => query.TryGetValue("merged", out var m) && bool.TryParse(m.ToString(), out var merged) && merged;

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {RetryId} retries {Lines} failed lines of batch {BatchId} ({Invalid} invalid lines left out)")]
    private static partial void LogRetry(ILogger logger, string retryId, string batchId, int lines, int invalid);
}
