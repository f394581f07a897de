using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Watching;

/// <summary>
/// One batch's status, read once per <see cref="BatchEventStream.PollInterval"/> for all of its watchers: a single
/// loop runs while anyone watches and publishes each read as a numbered <see cref="BatchStatusSnapshot"/>. Each
/// watcher used to read the whole orchestration state every 500 ms on its own: 500 streams slowed a batch from
/// 32.7 to 0.6 lines/s. The read is the batch object's (the orchestration row with its small input, never the
/// lines: the Durable client returns the custom status, which carries the counts, only together with inputs and outputs).
/// </summary>
public sealed partial class BatchStatusFeed
{
    private readonly string batchId;
    private readonly DurableTaskClient client;
    private readonly BatchStore store;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private BatchStatusSnapshot latest = new(0, null, false);
    private TaskCompletionSource published = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long reads;
    private int caughtUp;

    internal BatchStatusFeed(string batchId, DurableTaskClient client, BatchStore store, TimeProvider time, ILogger logger)
    {
        this.batchId = batchId;
        this.client = client;
        this.store = store;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>How many status reads this feed has made.</summary>
    public long Reads => Interlocked.Read(ref reads);

    /// <summary>Watchers that have the latest snapshot and wait for the next one (tests wait for them before moving a fake clock).</summary>
    internal int CaughtUp
    {
        get
        {
            lock (gate)
            {
                return caughtUp;
            }
        }
    }

    /// <summary>Watchers currently subscribed (changed under the hub's lock).</summary>
    internal int Watchers { get; set; }

    /// <summary>
    /// The first snapshot newer than <paramref name="seen"/>; null when none came within <paramref name="timeout"/>
    /// (the caller sends a keep-alive and asks again).
    /// </summary>
    public async Task<BatchStatusSnapshot?> NextAsync(long seen, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task signal;
        lock (gate)
        {
            if (latest.Version > seen)
            {
                return latest;
            }

            signal = published.Task;
            caughtUp++;
        }

        try
        {
            await signal.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            lock (gate)
            {
                if (latest.Version == seen)
                {
                    caughtUp--; // left before anything new came (timeout, cancelled); after a publish the count restarted at 0
                }
            }
        }

        lock (gate)
        {
            return latest.Version > seen ? latest : null;
        }
    }

    /// <summary>Starts the read loop (once, by the hub, for the first watcher).</summary>
    internal void Start() => _ = Task.Run(() => LoopAsync(stop.Token));

    /// <summary>Stops the read loop (by the hub, when the last watcher left).</summary>
    internal void Stop() => stop.Cancel(); // not disposed: the loop may still be between two awaits on its token

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var (batch, purged) = await ReadAsync(cancellationToken).ConfigureAwait(false);
                if (batch is not null || purged)
                {
                    Publish(batch, purged);
                    if (purged || BatchStatus.IsFinal(batch!.Status))
                    {
                        return; // nothing more will change
                    }
                }

                await Task.Delay(BatchEventStream.PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The last watcher left.
        }
    }

    private void Publish(BatchObject? batch, bool purged)
    {
        TaskCompletionSource signal;
        lock (gate)
        {
            latest = new BatchStatusSnapshot(latest.Version + 1, batch, purged);
            caughtUp = 0;
            signal = published;
            published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }

    private async Task<(BatchObject? Batch, bool Purged)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            Interlocked.Increment(ref reads);
            var meta = await client.GetInstanceAsync(batchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            return meta is null ? (null, true) : (await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false), false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A storage hiccup: keep the watchers, try again at the next interval.
            LogReadFailed(logger, e, batchId);
            return (null, false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event streams of batch {BatchId}: reading its status failed; trying again")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string batchId);
}
