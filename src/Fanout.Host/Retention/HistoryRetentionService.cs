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
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PurgeInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await purger.PurgeAsync(client, stoppingToken).ConfigureAwait(false);
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
