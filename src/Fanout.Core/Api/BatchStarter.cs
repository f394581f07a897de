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
    ILogger<BatchStarter> logger,
    IOptions<Cache.CacheOptions>? cacheOptions = null)
{
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
            Cache: cache ?? DefaultCache);
    }

    /// <summary>Schedules the batch's orchestration and flushes storage; a second start of the same id is a no-op.</summary>
    public async Task StartAsync(DurableTaskClient client, BatchInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(BatchOrchestrator), input, new StartOrchestrationOptions(input.BatchId), cancellationToken).ConfigureAwait(false);

            // 202 Accepted means the batch is on disk: its prepared lines and its orchestration survive a power loss.
            await storageFlush.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (await client.GetInstanceAsync(input.BatchId, cancellationToken).ConfigureAwait(false) is null)
            {
                throw;
            }

            // Another request with the same id won the race: the batch exists once, which is what was asked.
            LogAlreadyStarted(logger, input.BatchId);
        }
    }

    /// <summary>Starts <paramref name="input"/> and answers with its batch object (as stored, or just started with <paramref name="total"/> lines).</summary>
    public async Task<BatchObject> StartAndDescribeAsync(DurableTaskClient client, BatchInput input, int total, CancellationToken cancellationToken)
    {
        await StartAsync(client, input, cancellationToken).ConfigureAwait(false);
        var meta = await client.GetInstanceAsync(input.BatchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return meta is null
            ? BatchObject.Started(input, total, store.OutputBlobPath(input.BatchId), store.ErrorBlobPath(input.BatchId))
            : await DescribeAsync(meta, client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The batch object of an orchestration.</summary>
    public Task<BatchObject> DescribeAsync(OrchestrationMetadata meta, DurableTaskClient client, CancellationToken cancellationToken)
        => BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} already exists; not started twice")]
    private static partial void LogAlreadyStarted(ILogger logger, string batchId);
}
