using System.Collections.Concurrent;
using DurableTask.Core;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Durable;

/// <summary>
/// Sits between the sidecar's dispatchers and the real orchestration service: applies our concurrency limits
/// (the in-memory service hard-codes the processor count), renews the locks of running activities (the sidecar
/// never does), and on shutdown stops handing out work, drains, and gives unfinished work items back to the queue.
/// </summary>
/// <remarks>
/// The sidecar starts the service only once a worker connects and stops it from an <c>async void</c> callback
/// that never finishes while a work item is outstanding; so <see cref="StartAsync()"/> and <see cref="StopAsync()"/>
/// do nothing here and <see cref="DurableSidecarHostedService"/> calls <see cref="StartInnerAsync"/> and
/// <see cref="StopInnerAsync"/> itself.
/// </remarks>
internal sealed partial class TrackingOrchestrationService : IOrchestrationService, IAsyncDisposable
{
    readonly IOrchestrationService inner;
    readonly int maxActivities;
    readonly int maxOrchestrations;
    readonly TimeSpan? renewInterval;
    readonly ILogger logger;
    readonly ConcurrentDictionary<TaskActivityWorkItem, byte> activities = new(ReferenceEqualityComparer.Instance);
    readonly ConcurrentDictionary<TaskOrchestrationWorkItem, byte> orchestrations = new(ReferenceEqualityComparer.Instance);
    readonly CancellationTokenSource draining = new();
    readonly CancellationTokenSource stopping = new();
    Task renewLoop = Task.CompletedTask;

    public TrackingOrchestrationService(
        IOrchestrationService inner, int maxActivities, int maxOrchestrations, TimeSpan? renewInterval, ILogger logger)
    {
        this.inner = inner;
        this.maxActivities = maxActivities;
        this.maxOrchestrations = maxOrchestrations;
        this.renewInterval = renewInterval;
        this.logger = logger;
    }

    public IOrchestrationService Inner => inner;

    public int InFlightActivities => activities.Count;

    public int InFlightOrchestrations => orchestrations.Count;

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => maxOrchestrations;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => maxActivities;

    public async Task StartInnerAsync()
    {
        await inner.StartAsync().ConfigureAwait(false);
        if (renewInterval is { } interval)
        {
            renewLoop = Task.Run(() => RenewLoopAsync(interval, stopping.Token));
        }
    }

    /// <summary>Stops handing out work items; the dispatchers keep waiting until they are stopped.</summary>
    public void BeginDrain() => draining.Cancel();

    /// <summary>Waits until no work item is outstanding, or the timeout passes; true when drained.</summary>
    public async Task<bool> WaitForDrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (!activities.IsEmpty || !orchestrations.IsEmpty)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), limit.Token).ConfigureAwait(false);
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Hands every still-locked work item back to the queue so the next host picks it up without waiting.</summary>
    public async Task AbandonOutstandingAsync()
    {
        foreach (TaskActivityWorkItem workItem in activities.Keys)
        {
            if (activities.TryRemove(workItem, out _))
            {
                await TryAsync(() => inner.AbandonTaskActivityWorkItemAsync(workItem), "abandon activity", workItem.Id).ConfigureAwait(false);
            }
        }

        foreach (TaskOrchestrationWorkItem workItem in orchestrations.Keys)
        {
            if (orchestrations.TryRemove(workItem, out _))
            {
                await TryAsync(() => inner.AbandonTaskOrchestrationWorkItemAsync(workItem), "abandon orchestration", workItem.InstanceId).ConfigureAwait(false);
                await TryAsync(() => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem), "release orchestration", workItem.InstanceId).ConfigureAwait(false);
            }
        }
    }

    public async Task StopInnerAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await renewLoop.ConfigureAwait(false);
        await inner.StopAsync(isForced: false).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await renewLoop.ConfigureAwait(false);
        draining.Dispose();
        stopping.Dispose();
        (inner as IDisposable)?.Dispose();
    }

    public Task StartAsync() => Task.CompletedTask;

    public Task StopAsync() => Task.CompletedTask;

    public Task StopAsync(bool isForced) => Task.CompletedTask;

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) =>
        inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) =>
        inner.GetDelayInSecondsAfterOnFetchException(exception);

    public async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        TaskOrchestrationWorkItem? workItem = await LockNextAsync(
            ct => inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, ct), cancellationToken).ConfigureAwait(false);
        if (workItem is null)
        {
            return null!;
        }

        orchestrations.TryAdd(workItem, 0);
        if (draining.IsCancellationRequested && orchestrations.TryRemove(workItem, out _))
        {
            // Fetched just as the drain began: give it back instead of starting new work.
            await TryAsync(() => inner.AbandonTaskOrchestrationWorkItemAsync(workItem), "abandon orchestration", workItem.InstanceId).ConfigureAwait(false);
            await TryAsync(() => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem), "release orchestration", workItem.InstanceId).ConfigureAwait(false);
            return null!;
        }

        return workItem;
    }

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) =>
        inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(
            workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) =>
        orchestrations.ContainsKey(workItem) ? inner.AbandonTaskOrchestrationWorkItemAsync(workItem) : Task.CompletedTask;

    public async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        // The dispatcher always releases, completed or abandoned; a missing entry means shutdown already did it.
        if (orchestrations.TryRemove(workItem, out _))
        {
            await inner.ReleaseTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
        }
    }

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        TaskActivityWorkItem? workItem = await LockNextAsync(
            ct => inner.LockNextTaskActivityWorkItem(receiveTimeout, ct), cancellationToken).ConfigureAwait(false);
        if (workItem is null)
        {
            return null!;
        }

        activities.TryAdd(workItem, 0);
        if (draining.IsCancellationRequested && activities.TryRemove(workItem, out _))
        {
            await TryAsync(() => inner.AbandonTaskActivityWorkItemAsync(workItem), "abandon activity", workItem.Id).ConfigureAwait(false);
            return null!;
        }

        return workItem;
    }

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) =>
        inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        if (!activities.ContainsKey(workItem))
        {
            // Already handed back at shutdown; the next host runs it again (activities are at-least-once).
            return;
        }

        try
        {
            await inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage).ConfigureAwait(false);
        }
        finally
        {
            activities.TryRemove(workItem, out _);
        }
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        if (activities.TryRemove(workItem, out _))
        {
            await inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
    }

    async Task<T?> LockNextAsync<T>(Func<CancellationToken, Task<T>> lockNext, CancellationToken cancellationToken)
        where T : class
    {
        if (!draining.IsCancellationRequested)
        {
            using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, draining.Token);
            try
            {
                return await lockNext(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (draining.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Drain began while waiting: fall through and park this dispatcher.
            }
        }

        // Draining: park the dispatcher loop until the sidecar stops it; returning null would make it spin.
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return null;
    }

    async Task RenewLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using PeriodicTimer timer = new(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                DateTime renewBefore = DateTime.UtcNow + (2 * interval);
                foreach (TaskActivityWorkItem workItem in activities.Keys)
                {
                    if (workItem.LockedUntilUtc <= renewBefore && activities.ContainsKey(workItem))
                    {
                        await TryAsync(() => inner.RenewTaskActivityWorkItemLockAsync(workItem), "renew activity", workItem.Id).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    async Task TryAsync(Func<Task> action, string what, string workItemId)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort: the message reappears after its visibility timeout anyway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WorkItemActionFailed(logger, ex, what, workItemId);
        }
    }

    static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Could not {Action} work item {WorkItemId}")]
        public static partial void WorkItemActionFailed(ILogger logger, Exception exception, string action, string workItemId);
    }
}
