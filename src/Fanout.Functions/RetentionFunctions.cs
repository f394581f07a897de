using Fanout.Core.Retention;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>
/// History retention on Azure: a timer (NCRONTAB <c>Fanout:Durable:HistoryPurgeSchedule</c>, e.g. every 5 minutes)
/// purges the orchestration history and work blobs of batches that finished <c>Fanout:Durable:HistoryRetention</c>
/// ago, with the Durable client; see <see cref="HistoryPurger"/>.
/// </summary>
public sealed class RetentionFunctions(HistoryPurger purger)
{
    /// <summary>One purge pass.</summary>
    [Function("PurgeHistory")]
    public Task<PurgeSummary> PurgeAsync(
        [TimerTrigger("%Fanout:Durable:HistoryPurgeSchedule%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => purger.PurgeAsync(client, cancellationToken);
}
