using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Service;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Watching;

/// <summary>
/// "Watching a batch" of API.md, transport-free: the event stream, the finished prefix of the results, the list of
/// batches and the health check. Every figure comes from the batch object that <c>GET /api/batches/{id}</c> returns
/// (<see cref="BatchObjects.FromMetadataAsync"/>).
/// </summary>
public sealed partial class BatchWatchService(BatchService batches, BatchStore store, BatchWatchHub hub, EventStreamLimiter limiter, TimeProvider time, ILogger<BatchWatchService> logger)
{
    /// <summary>Default page size of the batch list.</summary>
    public const int DefaultListLimit = 20;

    /// <summary>Largest page size of the batch list.</summary>
    public const int MaxListLimit = 100;

    /// <summary>
    /// <c>GET /api/batches/{id}/events</c>: <c>progress</c> events until the batch reaches a final status. All watchers
    /// of a batch share one status read per interval (<see cref="BatchWatchHub"/>); a caller beyond
    /// <c>Fanout:Host:MaxEventStreams</c> open streams (of its <paramref name="key"/>, or of the host) gets 429.
    /// </summary>
    public async Task<ServiceResult<EventStream<BatchObject>>> EventsAsync(string id, DurableTaskClient client, CancellationToken cancellationToken, string key = "")
    {
        var slot = limiter.TryOpen(key);
        if (!slot.IsSuccess)
        {
            return slot.Error;
        }

        try
        {
            var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
            if (!found.IsSuccess)
            {
                slot.Value.Dispose();
                return found.Error;
            }

            // The slot is given back when the stream ends (or the client goes away).
            return new EventStream<BatchObject>(new BatchEventStream(id, client, hub, time, slot.Value).ReadAsync(), BatchEventStream.ReconnectAfter);
        }
        catch
        {
            slot.Value.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>GET /api/batches/{id}/results</c>: the whole output of a finished batch; with <c>partial=true</c>, the
    /// finished prefix while the batch runs (<see cref="BatchResults.Complete"/> false) and the whole output once it
    /// has finished (true).
    /// </summary>
    public async Task<ServiceResult<BatchResults>> ResultsAsync(string id, QueryArgs query, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!query.TryGetBool("partial", out var partial))
        {
            return ServiceError.InvalidParameter("Query parameter 'partial' must be true or false.");
        }

        if (partial != true)
        {
            return (await batches.GetOutputAsync(id, errorsOnly: false, client, cancellationToken).ConfigureAwait(false)).Map(body => new BatchResults(body, null));
        }

        var found = await BatchLookup.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (await batches.IsPurgedAsync(found, id, cancellationToken).ConfigureAwait(false))
        {
            return new BatchResults(await batches.GetOutputAsync(id, errorsOnly: false, client, cancellationToken).ConfigureAwait(false), true);
        }

        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var meta = found.Value;
        if (BatchLookup.IsFinished(meta.RuntimeStatus))
        {
            // A finished batch with no output still answers Fanout-Complete: true with its 404: there is nothing more to wait for.
            return new BatchResults(await batches.GetOutputAsync(id, errorsOnly: false, client, cancellationToken).ConfigureAwait(false), true);
        }

        var input = meta.ReadInputAs<BatchInput>()!;
        var total = input.Prepared?.Total ?? meta.ReadCustomStatusAs<BatchProgress>()?.Total ?? 0;
        var prepared = input.Prepared ?? new PreparedBatch(total, 0, input.ChunkSize);
        return new BatchResults(ContentBody.FromWriter((destination, ct) => store.WriteFinishedPrefixAsync(id, prepared, destination, ct)), false);
    }

    /// <summary><c>GET /api/batches?limit=N&amp;after=ID</c>: newest first.</summary>
    public async Task<ServiceResult<BatchList>> ListAsync(QueryArgs query, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(client);
        if (!query.TryGetInt64("limit", 1, MaxListLimit, out var limit))
        {
            return ServiceError.InvalidParameter($"Query parameter 'limit' must be an integer from 1 to {MaxListLimit}.");
        }

        if (!query.TryGetSingle("after", out var after) || (after is not null && !BatchIds.IsValid(after)))
        {
            return ServiceError.InvalidParameter("Query parameter 'after' must be a batch id.");
        }

        // The durable store lists instances by id, not by age: read the batch instances (not their chunks) and sort.
        var all = new List<OrchestrationMetadata>();
        await foreach (var meta in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = 500 }).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (meta.Name == nameof(BatchOrchestrator) && !meta.InstanceId.Contains('~', StringComparison.Ordinal))
            {
                all.Add(meta);
            }
        }

        // Finished batches whose history was purged (Fanout:Durable:HistoryRetention) are listed from their records.
        var purged = await BatchRecords.ListAsync(store, all.Select(b => b.InstanceId).ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
        var entries = all.Select(m => new ListEntry(m.CreatedAt, m.InstanceId, () => BatchObjects.FromMetadataAsync(m, client, store, cancellationToken)))
            .Concat(purged.Select(r => new ListEntry(DateTimeOffset.FromUnixTimeSeconds(r.CreatedAt), r.Id, () => Task.FromResult(r))))
            .ToList();
        entries.Sort((x, y) => y.CreatedAt != x.CreatedAt ? y.CreatedAt.CompareTo(x.CreatedAt) : string.CompareOrdinal(y.Id, x.Id));
        var start = 0;
        if (after is not null)
        {
            var at = entries.FindIndex(b => b.Id == after);
            if (at < 0)
            {
                return BatchLookup.NotFound(after, " (query parameter 'after')");
            }

            start = at + 1;
        }

        var page = entries.Skip(start).Take((int)(limit ?? DefaultListLimit)).ToList();
        var data = await Task.WhenAll(page.Select(e => e.Describe())).ConfigureAwait(false);
        return new BatchList(data, start + page.Count < entries.Count);
    }

    /// <summary><c>GET /healthz</c>: whether storage and the durable backend answer (the transport answers 503 when one does not).</summary>
    public async Task<HealthReport> HealthAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var storage = ProbeAsync("storage", () => store.ProbeAsync(timeout.Token));
        var durable = ProbeAsync("durable", () => client.GetInstanceAsync("healthz-probe", timeout.Token));
        var checks = await Task.WhenAll(storage, durable).ConfigureAwait(false);
        return HealthReport.Of(checks[0], checks[1]);
    }

    private async Task<bool> ProbeAsync(string name, Func<Task> probe)
    {
        try
        {
            await probe().ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            // The reason goes to the log only: the health check is open without a key.
            LogUnhealthy(logger, e, name);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check: {Dependency} is unreachable")]
    private static partial void LogUnhealthy(ILogger logger, Exception exception, string dependency);

    private sealed record ListEntry(DateTimeOffset CreatedAt, string Id, Func<Task<BatchObject>> Describe);
}
