using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Orchestrations;
using Fanout.Core.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Api;

/// <summary>
/// Starts batches, once for every way in (submit, blob drop, retry): builds the <see cref="BatchInput"/> with the
/// configured defaults, schedules the orchestration at most once per id, and answers with the batch object.
/// </summary>
public sealed partial class BatchStarter(
    BatchStore store,
    IOptions<BatchOptions> batchOptions,
    IOptions<OpenAIOptions> openAIOptions,
    TimeProvider time,
    IStorageFlush storageFlush,
    IOptions<SubmitOptions> submitOptions,
    ILogger<BatchStarter> logger,
    Estimates.EstimateSettings? pricing = null,
    IOptions<Cache.CacheOptions>? cacheOptions = null)
{
    /// <summary>The time now, by the starter's clock.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Whether a batch that does not say <c>cache</c> uses the response cache (<c>Fanout:Cache:Default</c>).</summary>
    public bool DefaultCache => cacheOptions?.Value.Default ?? false;

    /// <summary>The deployment of a batch that names none.</summary>
    public string DefaultDeployment => openAIOptions.Value.Deployment;

    /// <summary>A batch's input: what is given, the configured defaults for the rest, created now.</summary>
    public BatchInput NewInput(
        string batchId,
        string? deployment = null,
        int? maxConcurrency = null,
        PreparedBatch? prepared = null,
        BatchSource? source = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        long? maxTotalTokens = null,
        RetrySource? retry = null,
        bool? cache = null)
    {
        var o = batchOptions.Value;
        return new BatchInput(
            batchId,
            deployment ?? DefaultDeployment,
            maxConcurrency ?? o.DefaultMaxConcurrency,
            time.GetUtcNow().ToUnixTimeSeconds(),
            Source: source,
            Prepared: prepared,
            Metadata: metadata,
            ChunkSize: o.ChunkSize,
            MinChunkWindow: o.MinChunkWindow,
            MaxDurableRetries: openAIOptions.Value.MaxDurableRetries,
            MaxCallSeconds: openAIOptions.Value.MaxCallSeconds,
            MaxTotalTokens: maxTotalTokens,
            Retry: retry,
            Pricing: pricing?.Pricing(),
            Cache: cache ?? DefaultCache);
    }

    /// <summary>
    /// Schedules the batch's orchestration and flushes storage; a second start of the same id is a no-op. Throws
    /// <see cref="BatchNotStartedException"/> when scheduling failed; once scheduled, nothing escapes but the caller's
    /// own cancellation: the batch exists and runs, so its submit must answer 202.
    /// </summary>
    public async Task StartAsync(DurableTaskClient client, BatchInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(BatchOrchestrator), input, new StartOrchestrationOptions(input.BatchId), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            bool? exists;
            try
            {
                exists = await client.GetInstanceAsync(input.BatchId, cancellationToken).ConfigureAwait(false) is not null;
            }
            catch (Exception check) when (!cancellationToken.IsCancellationRequested)
            {
                LogCheckFailed(logger, check, input.BatchId);
                exists = null;
            }

            if (exists != true)
            {
                throw new BatchNotStartedException(input.BatchId, exists, e);
            }

            // Another request with the same id won the race: the batch exists once, which is what was asked.
            LogAlreadyStarted(logger, input.BatchId);
        }

        await ConfirmOnDiskAsync(input.BatchId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts <paramref name="input"/> and answers with its batch object (as stored, or just started with <paramref name="total"/> lines).</summary>
    public async Task<BatchObject> StartAndDescribeAsync(DurableTaskClient client, BatchInput input, int total, CancellationToken cancellationToken)
    {
        await StartAsync(client, input, cancellationToken).ConfigureAwait(false);
        try
        {
            var meta = await client.GetInstanceAsync(input.BatchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            if (meta is not null)
            {
                return await DescribeAsync(meta, client, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The batch is scheduled: a failed read of it must not turn its 202 into an error.
            LogDescribeFailed(logger, e, input.BatchId);
        }

        return BatchObject.Started(input, total, store.OutputBlobPath(input.BatchId), store.ErrorBlobPath(input.BatchId));
    }

    // 202 Accepted means the batch is on disk: its prepared lines and its orchestration survive a power loss. The wait
    // is bounded and shared (GroupedStorageFlush); past the bound the batch still exists and runs (and the store saves
    // on its own within a second), so the submit still answers 202, and the host says so in its log.
    private async Task ConfirmOnDiskAsync(string batchId, CancellationToken cancellationToken)
    {
        try
        {
            await storageFlush.FlushAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(submitOptions.Value.FlushWaitSeconds), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogFlushNotConfirmed(logger, e, batchId, submitOptions.Value.FlushWaitSeconds);
        }
    }

    /// <summary>The batch object of an orchestration.</summary>
    public Task<BatchObject> DescribeAsync(OrchestrationMetadata meta, DurableTaskClient client, CancellationToken cancellationToken)
        => BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} already exists; not started twice")]
    private static partial void LogAlreadyStarted(ILogger logger, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: scheduling failed and checking whether it exists failed too")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId} is scheduled but reading it back failed; answering with the batch as started")]
    private static partial void LogDescribeFailed(ILogger logger, Exception exception, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId} is scheduled but storage did not confirm a save within {Seconds} s; accepted anyway (the store saves on its own)")]
    private static partial void LogFlushNotConfirmed(ILogger logger, Exception exception, string batchId, int seconds);
}
