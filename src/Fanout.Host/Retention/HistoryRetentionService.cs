using Fanout.Core.Cache;
using Fanout.Core.Options;
using Fanout.Core.Retention;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Fanout.Host.Retention;

/// <summary>
/// The portable host's history retention: every <see cref="RetentionOptions.PurgeInterval"/> purges the orchestration
/// history and work blobs of the batches that finished <c>Fanout:Durable:HistoryRetention</c> ago (see
/// <see cref="HistoryPurger"/>). On either durable backend; several hosts on one task hub may run it at once (a purge
/// is idempotent). The same pass deletes expired response-cache entries (<see cref="ResponseCacheStore.PurgeExpiredAsync"/>).
/// </summary>
public sealed partial class HistoryRetentionService(
    HistoryPurger purger, DurableTaskClient client, IOptions<RetentionOptions> options, ILogger<HistoryRetentionService> logger, ResponseCacheStore? cache = null) : BackgroundService
{
    /// <summary>How often completed chunk orchestrations are purged.</summary>
    public static readonly TimeSpan ChunkPurgeInterval = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    /// <remarks>
    /// Two cadences, each its own loop: completed chunks every <see cref="ChunkPurgeInterval"/> (a large batch's
    /// history stays bounded while it runs), finished batches every <see cref="RetentionOptions.PurgeInterval"/>.
    /// </remarks>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(
            EveryAsync(ChunkPurgeInterval, ct => purger.PurgeCompletedChunksAsync(client, HistoryPurger.ChunkSettle, ct), stoppingToken),
            EveryAsync(options.Value.PurgeInterval, async ct =>
            {
                await purger.PurgeAsync(client, ct).ConfigureAwait(false);
                if (cache is not null)
                {
                    // Expired response-cache entries go with the same pass (Fanout:Cache:Ttl).
                    await cache.PurgeExpiredAsync(ct).ConfigureAwait(false);
                }
            }, stoppingToken));

    private async Task EveryAsync(TimeSpan interval, Func<CancellationToken, Task> pass, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await pass(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage or the backend is unreachable for now: the next pass tries again.
                LogPassFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "History retention: the purge pass failed; the next pass tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
