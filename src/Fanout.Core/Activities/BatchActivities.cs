using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Activities;

/// <summary>The batch-level activities, host-agnostic (the Functions app and the portable host both call these).</summary>
public sealed partial class BatchActivities(BatchStore store, BatchPreparer preparer, ILogger<BatchActivities> logger, Webhooks.BatchWebhooks? webhooks = null)
{
    /// <summary>Streams the dropped blob through validation into prepared chunks.</summary>
    public async Task<PreparedBatch> PrepareAsync(PrepareInput input, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await store.OpenSourceAsync(input.Source, cancellationToken).ConfigureAwait(false);
            var prepared = await preparer.PrepareAsync(input.BatchId, stream, input.ChunkSize, input.Endpoint, cancellationToken).ConfigureAwait(false);
            return prepared.Total == 0
                ? prepared with { FatalErrorCode = "empty_batch", FatalErrorMessage = "The input has no lines." }
                : prepared;
        }
        catch (BatchLimitExceededException e)
        {
            return new PreparedBatch(0, 0, input.ChunkSize, e.Code, e.Message);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return new PreparedBatch(0, 0, input.ChunkSize, "input_not_found", $"The input blob {input.Source.Container}/{input.Source.BlobName} does not exist.");
        }
    }

    /// <summary>Which lines have no stored result yet, and the counts of those that do.</summary>
    public async Task<ResultCheck> CheckResultsAsync(ResultCheckInput input, CancellationToken cancellationToken)
    {
        var check = await store.CheckResultsAsync(input.BatchId, input.Prepared, cancellationToken).ConfigureAwait(false);

        // Calls, 429s and failures: the attempt journals of every process (the one source of those figures).
        var attempts = await store.ReadAttemptTotalsAsync(input.BatchId, cancellationToken).ConfigureAwait(false);
        check = check with { Stored = check.Stored with { ByDeployment = attempts, Throttled = RateLimited(attempts) } };
        if (check.Unlisted > 0)
        {
            LogUnlisted(logger, input.BatchId, check.Unlisted);
        }

        if (check.Missing.Count > 0)
        {
            LogMissing(logger, input.BatchId, check.Missing.Count, string.Join(", ", check.Missing.Take(20)));
        }

        return check;
    }

    /// <summary>The 429s of a batch: the sum over its members.</summary>
    public static int RateLimited(IReadOnlyDictionary<string, DeploymentUsage>? attempts)
        => attempts is null ? 0 : (int)attempts.Values.Sum(u => u.RateLimited);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: {Count} lines have no stored result after the run (lines {Lines}, the first 20 at most); they run again")]
    private static partial void LogMissing(ILogger logger, string batchId, int count, string lines);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: {Count} result segments this process stored are not in the storage listing; their lines count as missing")]
    private static partial void LogUnlisted(ILogger logger, string batchId, int count);

    /// <summary>
    /// Writes output.jsonl and errors.jsonl in input order, and batch.json (and merged.jsonl for a retry); then, with
    /// <paramref name="client"/>, starts the durable delivery of the batch's webhook event (at-least-once: a finalize
    /// that runs again finds the delivery already started).
    /// </summary>
    public async Task FinalizeAsync(FinalizeInput input, CancellationToken cancellationToken, Microsoft.DurableTask.Client.DurableTaskClient? client = null)
    {
        var cancelled = input.Result.Status == BatchStatus.Cancelled;
        var budget = !cancelled && input.Result.BudgetExceeded;
        // The record kept next to the output, as GET serves the finished batch (it outlives the history: BatchRecords).
        var attempts = await store.ReadAttemptTotalsAsync(input.Batch.BatchId, cancellationToken).ConfigureAwait(false);
        var counts = input.Result.Counts with { ByDeployment = attempts, Throttled = RateLimited(attempts) };
        var finished = BatchObject.Finished(input.Batch, input.Result with { Counts = counts }, store.OutputBlobPath(input.Batch.BatchId), store.ErrorBlobPath(input.Batch.BatchId))
            with
        { Progress = new Watching.LiveProgress(0, 0, 0, 0, counts.Throttled, counts.Retries, input.Result.Counts.InvalidOutputs) };
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(finished, Service.ServiceJson.Options);
        await store.FinalizeAsync(
            input.Batch.BatchId,
            input.Prepared,
            cancelled ? OutputLines.BatchCancelled : budget ? OutputLines.BudgetExceeded : OutputLines.InternalError,
            cancelled ? "The batch was cancelled before this line was sent."
                : budget ? $"The token budget of the batch (maxTotalTokens {input.Batch.MaxTotalTokens}) was used up before this line was sent."
                : "This line could not be run; see the host's logs.",
            json,
            cancellationToken).ConfigureAwait(false);
        if (input.Batch.Retry is { } retry && input.Result.Status != BatchStatus.Failed)
        {
            await Retries.RetryMerge.WriteMergedAsync(store, input.Batch.BatchId, retry, cancellationToken).ConfigureAwait(false);
        }

        if (client is not null && webhooks is not null)
        {
            await webhooks.StartAsync(input.Batch.BatchId, input.Result.Status, input.Result.CompletedAt, client, cancellationToken).ConfigureAwait(false);
        }
    }
}
