using Fanout.Core.Options;
using Fanout.Core.Retention;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Fanout.Host.Retention;

/// <summary>
/// The portable host's history retention: every <see cref="RetentionOptions.PurgeInterval"/> purges the orchestration
/// history and work blobs of the batches that finished <c>Fanout:Durable:HistoryRetention</c> ago (see
/// <see cref="HistoryPurger"/>). On either durable backend; several hosts on one task hub may run it at once (a purge
/// is idempotent).
/// </summary>
public sealed partial class HistoryRetentionService(
    HistoryPurger purger, DurableTaskClient client, IOptions<RetentionOptions> options, ILogger<HistoryRetentionService> logger) : BackgroundService
{
    /// <summary>How often completed chunk orchestrations are purged.</summary>
    public static readonly TimeSpan ChunkPurgeInterval = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Completed chunks go every ChunkPurgeInterval (a large batch's history stays bounded while it runs); finished
        // batches every PurgeInterval.
        var interval = options.Value.PurgeInterval;
        var tick = interval < ChunkPurgeInterval ? interval : ChunkPurgeInterval;
        var next = TimeSpan.Zero;
        var elapsed = TimeSpan.Zero;
        using var timer = new PeriodicTimer(tick);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            elapsed += tick;
            try
            {
                await purger.PurgeCompletedChunksAsync(client, HistoryPurger.ChunkSettle, stoppingToken).ConfigureAwait(false);
                if (elapsed >= next)
                {
                    next = elapsed + interval;
                    await purger.PurgeAsync(client, stoppingToken).ConfigureAwait(false);
                }
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
