using System.Collections.Concurrent;
using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Models;

namespace Fanout.Core.Storage;

/// <summary>
/// The final batch object kept next to the output (<c>batches-out/{id}/batch.json</c>): written when the ordered output
/// is committed (or, for a batch that ended without one, before its history is purged), and read by the get, list and
/// results paths once the orchestration history is gone (<c>Fanout:Durable:HistoryRetention</c>). A record never
/// changes once written, so what was read is kept in memory.
/// </summary>
public static class BatchRecords
{
    /// <summary>The record's name inside the batch's folder of the output container.</summary>
    public const string FileName = BatchBlobLayout.BatchFile;

    private const int MaxCached = 10_000;
    private static readonly ConcurrentDictionary<string, BatchObject> Cache = new(StringComparer.Ordinal);

    /// <summary>The batch object of a finished batch from its record, or null when there is none.</summary>
    public static async Task<BatchObject?> TryReadAsync(BatchStore store, string batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = CacheKey(store, batchId);
        if (Cache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var stream = await store.OpenOutputAsync(batchId, FileName, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            var batch = await JsonSerializer.DeserializeAsync<BatchObject>(stream, BatchObjects.Json, cancellationToken).ConfigureAwait(false);
            if (batch is not null)
            {
                Remember(key, batch);
            }

            return batch;
        }
    }

    /// <summary>Whether the batch has a record (its output was committed, or its history was purged).</summary>
    public static async Task<bool> ExistsAsync(BatchStore store, string batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Cache.ContainsKey(CacheKey(store, batchId))
            || await store.OutputExistsAsync(BlobName(batchId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the record of a batch that has none (a batch that ended without committing its output).</summary>
    public static async Task WriteIfAbsentAsync(BatchStore store, BatchObject batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(batch);
        // False when written meanwhile (finalize, or another host's purge): the first record stays.
        await store.WriteOutputIfAbsentAsync(BlobName(batch.Id), BinaryData.FromBytes(BatchObjects.Serialize(batch)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The records of batches whose ids are not in <paramref name="except"/> (the batches the durable backend still
    /// knows): the finished batches whose history was purged.
    /// </summary>
    public static async Task<IReadOnlyList<BatchObject>> ListAsync(BatchStore store, IReadOnlySet<string> except, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(except);
        var ids = new List<string>();
        await foreach (var name in store.ListOutputBlobNamesAsync(cancellationToken).ConfigureAwait(false))
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && name.AsSpan(slash + 1).SequenceEqual(FileName) && name[..slash] is var id && !except.Contains(id))
            {
                ids.Add(id);
            }
        }

        var records = new List<BatchObject>(ids.Count);
        foreach (var batch in ids.Chunk(16))
        {
            foreach (var record in await Task.WhenAll(batch.Select(id => TryReadAsync(store, id, cancellationToken))).ConfigureAwait(false))
            {
                if (record is not null)
                {
                    records.Add(record);
                }
            }
        }

        return records;
    }

    private static string BlobName(string batchId) => $"{batchId}/{FileName}";

    private static string CacheKey(BatchStore store, string batchId) => $"{store.OutputContainerUri}/{batchId}";

    private static void Remember(string key, BatchObject batch)
    {
        if (Cache.Count >= MaxCached)
        {
            Cache.Clear();
        }

        Cache[key] = batch;
    }
}
