using System.Runtime.CompilerServices;
using Fanout.Core.Models;
using Fanout.Core.Service;
using Microsoft.DurableTask.Client;

namespace Fanout.Core.Watching;

/// <summary>
/// The live events of one watcher of a batch, transport-free: takes the batch object from the batch's shared
/// <see cref="BatchStatusFeed"/> (read once every <see cref="PollInterval"/> for all watchers), yields a
/// <c>progress</c> event when its status changed or <see cref="EventInterval"/> has passed, a keep-alive every
/// <see cref="KeepAliveInterval"/> (whatever else was sent: some proxies want to see one), and ends after the event
/// that carries a final status.
/// </summary>
internal sealed class BatchEventStream(string batchId, DurableTaskClient client, BatchWatchHub hub, TimeProvider time, IDisposable? slot = null)
{
    /// <summary>The name of the events.</summary>
    public const string ProgressEvent = "progress";

    /// <summary>How often the status is read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest gap between two progress events while the batch runs (the contract says at most 2 s).</summary>
    public static readonly TimeSpan EventInterval = TimeSpan.FromSeconds(1);

    /// <summary>Longest gap between two keep-alives (the contract says at most 15 s).</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long a reconnecting client waits.</summary>
    public static readonly TimeSpan ReconnectAfter = TimeSpan.FromSeconds(2);

    /// <summary>The events, until the final one, the batch is purged, or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<ServiceEvent<BatchObject>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (feed, lease) = hub.Join(batchId, client);
        try
        {
            string? lastStatus = null;
            var lastEvent = DateTimeOffset.MinValue;
            var lastComment = time.GetUtcNow();
            long seen = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                var snapshot = await feed.NextAsync(seen, KeepAliveInterval, cancellationToken).ConfigureAwait(false);
                var now = time.GetUtcNow();
                if (snapshot is not null)
                {
                    seen = snapshot.Version;
                    if (snapshot.Purged)
                    {
                        // Purged while watched: nothing more will come.
                        yield break;
                    }

                    var batch = snapshot.Batch!;
                    if (batch.Status != lastStatus || now - lastEvent >= EventInterval)
                    {
                        yield return new ServiceEvent<BatchObject>(ProgressEvent, batch);
                        lastStatus = batch.Status;
                        lastEvent = now;
                        if (BatchStatus.IsFinal(batch.Status))
                        {
                            yield break;
                        }
                    }
                }

                if (now - lastComment >= KeepAliveInterval)
                {
                    yield return ServiceEvent<BatchObject>.KeepAlive;
                    lastComment = now;
                }
            }
        }
        finally
        {
            lease.Dispose();
            slot?.Dispose();
        }
    }
}
