using System.Runtime.CompilerServices;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Service;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Watching;

/// <summary>
/// The live events of one batch, transport-free: reads the batch object (the one <c>GET /api/batches/{id}</c>
/// returns) every <see cref="PollInterval"/>, yields a <c>progress</c> event when its status changed or
/// <see cref="EventInterval"/> has passed, a keep-alive every <see cref="KeepAliveInterval"/> (whatever else was
/// sent: some proxies want to see one), and ends after the event that carries a final status.
/// </summary>
internal sealed partial class BatchEventStream(string batchId, DurableTaskClient client, BatchStore store, TimeProvider time, ILogger logger)
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

    /// <summary>True for the statuses after which a batch never changes.</summary>
    public static bool IsFinal(string status) => status is BatchStatus.Completed or BatchStatus.Failed or BatchStatus.Cancelled;

    /// <summary>The events, until the final one, the batch is purged, or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<ServiceEvent<BatchObject>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? lastStatus = null;
        var lastEvent = DateTimeOffset.MinValue;
        var lastComment = time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var (batch, purged) = await ReadBatchAsync(cancellationToken).ConfigureAwait(false);
            if (purged)
            {
                // Purged while watched: nothing more will come.
                yield break;
            }

            if (batch is not null && (batch.Status != lastStatus || now - lastEvent >= EventInterval))
            {
                yield return new ServiceEvent<BatchObject>(ProgressEvent, batch);
                lastStatus = batch.Status;
                lastEvent = now;
                if (IsFinal(batch.Status))
                {
                    yield break;
                }
            }

            if (now - lastComment >= KeepAliveInterval)
            {
                yield return ServiceEvent<BatchObject>.KeepAlive;
                lastComment = now;
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(BatchObject? Batch, bool Purged)> ReadBatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            var meta = await client.GetInstanceAsync(batchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            return meta is null ? (null, true) : (await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false), false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A storage hiccup: keep the stream, try again at the next poll.
            LogReadFailed(logger, e, batchId);
            return (null, false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event stream of batch {BatchId}: reading its status failed; trying again")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string batchId);
}
