using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Watching;

/// <summary>
/// The process's <see cref="BatchStatusFeed"/>s, one per watched batch: created for its first watcher, stopped and
/// dropped when its last watcher leaves.
/// </summary>
public sealed class BatchWatchHub(BatchStore store, TimeProvider time, ILogger<BatchWatchHub> logger)
{
    private readonly Dictionary<string, BatchStatusFeed> feeds = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>The feed of a batch while someone watches it (tests and diagnostics), else null.</summary>
    public BatchStatusFeed? Find(string batchId)
    {
        lock (gate)
        {
            return feeds.GetValueOrDefault(batchId);
        }
    }

    /// <summary>Joins the feed of <paramref name="batchId"/> (starting it for the first watcher); dispose the lease to leave.</summary>
    public (BatchStatusFeed Feed, IDisposable Lease) Join(string batchId, DurableTaskClient client)
    {
        BatchStatusFeed feed;
        var start = false;
        lock (gate)
        {
            if (!feeds.TryGetValue(batchId, out feed!))
            {
                feed = new BatchStatusFeed(batchId, client, store, time, logger);
                feeds[batchId] = feed;
                start = true;
            }

            feed.Watchers++;
        }

        if (start)
        {
            feed.Start();
        }

        return (feed, new Lease(this, batchId, feed));
    }

    private void Leave(string batchId, BatchStatusFeed feed)
    {
        lock (gate)
        {
            if (--feed.Watchers > 0)
            {
                return;
            }

            feeds.Remove(batchId);
        }

        feed.Stop();
    }

    private sealed class Lease(BatchWatchHub hub, string batchId, BatchStatusFeed feed) : IDisposable
    {
        private int left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref left, 1) == 0)
            {
                hub.Leave(batchId, feed);
            }
        }
    }
}
