using DurableTask.Core;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// Renews the locks of running activities (the sidecar never does), so a long call is not handed out a second time
/// when its message's visibility timeout passes: every interval, each activity whose lock ends within two intervals.
/// </summary>
internal sealed class ActivityLockRenewer(IOrchestrationService inner, WorkItemSet<TaskActivityWorkItem> running, WorkItemReturns returns)
    : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    Task loop = Task.CompletedTask;

    /// <summary>Starts renewing every <paramref name="interval"/>.</summary>
    public void Start(TimeSpan interval) => loop = Task.Run(() => RenewLoopAsync(interval, stop.Token));

    /// <summary>Stops renewing and waits for a renewal in progress.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stop.Dispose();
    }

    async Task RenewLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using PeriodicTimer timer = new(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                DateTime renewBefore = DateTime.UtcNow + (2 * interval);
                foreach (TaskActivityWorkItem workItem in running.Items)
                {
                    if (workItem.LockedUntilUtc <= renewBefore && running.Contains(workItem))
                    {
                        await returns.TryAsync(() => inner.RenewTaskActivityWorkItemLockAsync(workItem), "renew activity", workItem.Id).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
