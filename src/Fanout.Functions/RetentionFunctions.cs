using Fanout.Core.Cache;
using Fanout.Core.Retention;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>
/// History retention on Azure: a timer (NCRONTAB <c>Fanout:Durable:HistoryPurgeSchedule</c>, e.g. every 5 minutes)
/// purges the orchestration history and work blobs of batches that finished <c>Fanout:Durable:HistoryRetention</c>
/// ago, and the history of chunk orchestrations that completed (even while their batch runs), with the Durable client;
/// see <see cref="HistoryPurger"/>. The same pass deletes expired response-cache entries (<c>Fanout:Cache:Ttl</c>).
/// </summary>
public sealed class RetentionFunctions(HistoryPurger purger, ResponseCacheStore cache)
{
    /// <summary>One purge pass.</summary>
    [Function("PurgeHistory")]
    public async Task<PurgeSummary> PurgeAsync(
        [TimerTrigger("%Fanout:Durable:HistoryPurgeSchedule%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        await purger.PurgeCompletedChunksAsync(client, HistoryPurger.ChunkSettle, cancellationToken).ConfigureAwait(false);
        var summary = await purger.PurgeAsync(client, cancellationToken).ConfigureAwait(false);
        await cache.PurgeExpiredAsync(cancellationToken).ConfigureAwait(false);
        return summary;
    }
}
