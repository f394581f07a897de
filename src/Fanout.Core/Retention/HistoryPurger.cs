using Fanout.Core.Api;
using Fanout.Core.Options;
using Fanout.Core.Orchestrations;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Retention;

/// <summary>
/// Purges what a finished batch no longer needs once <see cref="RetentionOptions.HistoryRetention"/> has passed: the
/// orchestration history of the batch and of its chunk orchestrations (<c>{id}~c…</c>) and its work blobs. Before that
/// it makes sure the batch has its record next to its output (<see cref="BatchRecords"/>), so its object, results and
/// errors stay served. Host-agnostic: the portable host runs it on a timer (a hosted service), the Functions app from a
/// timer trigger, both with their own <see cref="DurableTaskClient"/>. Idempotent: the batch instance goes last, so a
/// pass cut short finds the batch again next time.
/// </summary>
public sealed partial class HistoryPurger(BatchStore store, IOptions<RetentionOptions> options, TimeProvider time, ILogger<HistoryPurger> logger)
{
    /// <summary>How long a chunk has been completed before it is purged (its batch has long read its result by then).</summary>
    public static readonly TimeSpan ChunkSettle = TimeSpan.FromSeconds(30);

    /// <summary>One pass over the task hub: purges every batch that finished at least the retention period ago.</summary>
    public async Task<PurgeSummary> PurgeAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var cutoff = time.GetUtcNow() - options.Value.HistoryRetention;
        var due = new List<OrchestrationMetadata>();
        var query = new OrchestrationQuery { Statuses = BatchLookup.FinishedRuntimeStatuses, CreatedTo = cutoff, FetchInputsAndOutputs = true, PageSize = 100 };
        await foreach (var meta in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // Batches of both surfaces: /v1/batches serves a purged batch from its record too (OpenAIBatchView.ReadKeptAsync).
            if (meta.Name == nameof(BatchOrchestrator) && !meta.InstanceId.Contains('~', StringComparison.Ordinal) && meta.LastUpdatedAt <= cutoff)
            {
                due.Add(meta);
            }
        }

        var instances = 0;
        foreach (var meta in due)
        {
            instances += await PurgeBatchAsync(client, meta, cancellationToken).ConfigureAwait(false);
        }

        if (due.Count > 0)
        {
            LogPurged(logger, due.Count, instances);
        }

        return new PurgeSummary(due.Count, instances);
    }

    /// <summary>
    /// Purges the history of every chunk orchestration that completed at least <paramref name="settle"/> ago, whatever
    /// the state of its batch: the batch's own history already holds the chunk's counts, and the batch object reads
    /// running chunks only. Keeps the durable backend (tables, or the memory backend's RAM) from holding a history
    /// proportional to a large batch while it runs. Failed chunks are kept until their batch is purged.
    /// </summary>
    public async Task<int> PurgeCompletedChunksAsync(DurableTaskClient client, TimeSpan settle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var cutoff = time.GetUtcNow() - settle;
        var done = new List<string>();
        var query = new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed], PageSize = 500 };
        await foreach (var meta in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (meta.InstanceId.Contains(BatchOrchestrator.ChunkSeparator, StringComparison.Ordinal) && meta.LastUpdatedAt <= cutoff)
            {
                done.Add(meta.InstanceId);
            }
        }

        var purged = 0;
        foreach (var chunk in done.Chunk(16))
        {
            var results = await Task.WhenAll(chunk.Select(c => client.PurgeInstanceAsync(c, cancellationToken))).ConfigureAwait(false);
            purged += results.Sum(r => r.PurgedInstanceCount);
        }

        return purged;
    }

    /// <summary>Purges one finished batch; returns how many instances were purged.</summary>
    private async Task<int> PurgeBatchAsync(DurableTaskClient client, OrchestrationMetadata meta, CancellationToken cancellationToken)
    {
        var id = meta.InstanceId;
        if (!await BatchRecords.ExistsAsync(store, id, cancellationToken).ConfigureAwait(false))
        {
            // A batch that ended without committing its output (failed, terminated): its object is kept all the same.
            var batch = await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false);
            await BatchRecords.WriteIfAbsentAsync(store, batch, cancellationToken).ConfigureAwait(false);
        }

        await store.DeleteWorkAsync(id, cancellationToken).ConfigureAwait(false);
        var children = new List<string>();
        await foreach (var child in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = id + "~", PageSize = 500 })
            .WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            children.Add(child.InstanceId);
        }

        var purged = 0;
        foreach (var chunk in children.Chunk(16))
        {
            var results = await Task.WhenAll(chunk.Select(c => client.PurgeInstanceAsync(c, cancellationToken))).ConfigureAwait(false);
            purged += results.Sum(r => r.PurgedInstanceCount);
        }

        purged += (await client.PurgeInstanceAsync(id, cancellationToken).ConfigureAwait(false)).PurgedInstanceCount;
        return purged;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "History retention: purged {Batches} finished batches ({Instances} orchestration instances) and their work blobs")]
    private static partial void LogPurged(ILogger logger, int batches, int instances);
}
