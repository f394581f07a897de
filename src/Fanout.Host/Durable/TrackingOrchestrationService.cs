using DurableTask.Core;
using Fanout.Host.Durable.WorkItems;

namespace Fanout.Host.Durable;

/// <summary>
/// Sits between the sidecar's dispatchers and the real orchestration service and connects the parts in
/// <see cref="WorkItems"/>: it counts what is handed out against our concurrency limits (the in-memory service
/// hard-codes the processor count), fetches activities in parallel (<see cref="ActivityFetchPool"/>), keeps extended
/// sessions (<see cref="ExtendedSessions"/>), fixes what the sidecar writes (<see cref="SidecarHistoryNormalizer"/>)
/// and bounds poison (<see cref="EpisodeAttempts"/>). It has no lifecycle of its own.
/// </summary>
/// <remarks>
/// The sidecar starts the service only once a worker connects and stops it from an <c>async void</c> callback that
/// never finishes while a work item is outstanding; so <see cref="StartAsync()"/> and <see cref="StopAsync()"/> do
/// nothing here, and <see cref="DurableSidecarHostedService"/> starts and stops the real service and the parts itself.
/// </remarks>
internal sealed class TrackingOrchestrationService : IOrchestrationService, IDisposable
{
    readonly IOrchestrationService inner;
    readonly ShutdownSignals signals;
    readonly InFlightWorkItems inFlight;
    readonly WorkItemReturns returns;
    readonly DetachedFetches detached;
    readonly ExtendedSessions sessions;
    readonly ActivityFetchPool activityFetches;
    readonly OrchestrationFetch orchestrationFetches;

    /// <param name="inner">The real orchestration service.</param>
    /// <param name="maxActivities">Most activities handed out and not yet completed.</param>
    /// <param name="maxOrchestrations">Most orchestration episodes at once.</param>
    /// <param name="signals">The steps of shutdown, which the owner takes.</param>
    /// <param name="inFlight">Where handed-out work items are counted.</param>
    /// <param name="returns">How work items are given back.</param>
    /// <param name="activityFetchers">How many activity fetches run against the inner service at once.</param>
    public TrackingOrchestrationService(
        IOrchestrationService inner,
        int maxActivities,
        int maxOrchestrations,
        ShutdownSignals signals,
        InFlightWorkItems inFlight,
        WorkItemReturns returns,
        int activityFetchers = 1)
    {
        this.inner = inner;
        this.signals = signals;
        this.inFlight = inFlight;
        this.returns = returns;
        MaxConcurrentTaskActivityWorkItems = maxActivities;
        MaxConcurrentTaskOrchestrationWorkItems = maxOrchestrations;
        detached = new DetachedFetches(returns);
        sessions = new ExtendedSessions(returns, signals);
        activityFetches = new ActivityFetchPool(inner, maxActivities, activityFetchers, inFlight.Activities, signals, detached);
        orchestrationFetches = new OrchestrationFetch(inner, sessions, signals, detached);
    }

    /// <summary>Gets the poison bound: null when episodes are not counted (the memory backend).</summary>
    public EpisodeAttempts? Attempts { get; init; }

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems { get; }

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems { get; }

    /// <summary>
    /// Once fetching stopped (<see cref="ShutdownSignals.StopFetchingAsync"/>): detaches the fetches the dispatchers
    /// stopped waiting for, ends idle sessions and waits until everything those fetched was given back.
    /// </summary>
    public async Task DetachFetchesAsync(CancellationToken cancellationToken)
    {
        await activityFetches.StopAsync(cancellationToken).ConfigureAwait(false);
        await orchestrationFetches.StopAsync(cancellationToken).ConfigureAwait(false);
        await sessions.EndAllAsync(cancellationToken).ConfigureAwait(false);
        await detached.WhenAllAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        activityFetches.Dispose();
        orchestrationFetches.Dispose();
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
        TaskOrchestrationWorkItem? workItem = await orchestrationFetches.FetchAsync(receiveTimeout, cancellationToken).ConfigureAwait(false);
        if (workItem is null)
        {
            return null!;
        }

        if (Attempts is not null && await Attempts.BeginAsync(workItem.InstanceId, cancellationToken).ConfigureAwait(false))
        {
            await Attempts.TerminateAsync(inner, workItem).ConfigureAwait(false);
            return null!;
        }

        inFlight.Orchestrations.Add(workItem);
        inFlight.MarkProgress();
        if (signals.OrchestrationsStopped.IsCancellationRequested && inFlight.Orchestrations.Remove(workItem))
        {
            // Fetched just as the drain began: give it back instead of starting new work.
            await returns.GiveBackAsync(workItem).ConfigureAwait(false);
            return null!;
        }

        return workItem;
    }

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) =>
        inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public async Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        SidecarHistoryNormalizer.NormalizeHistory(newOrchestrationRuntimeState);
        SidecarHistoryNormalizer.NormalizeTags(orchestratorMessages);
        SidecarHistoryNormalizer.NormalizeTags(outboundMessages);
        if (continuedAsNewMessage is not null)
        {
            SidecarHistoryNormalizer.NormalizeTags([continuedAsNewMessage]);
        }

        await inner.CompleteTaskOrchestrationWorkItemAsync(
            workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState).ConfigureAwait(false);
        if (Attempts is not null)
        {
            await Attempts.SucceededAsync(workItem.InstanceId).ConfigureAwait(false);
        }
    }

    public async Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        if (!inFlight.Orchestrations.Contains(workItem))
        {
            return;
        }

        sessions.MarkAbandoned(workItem);
        await inner.AbandonTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
    }

    public async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        // The dispatcher always releases, completed or abandoned; a missing entry means shutdown already did it.
        if (!inFlight.Orchestrations.Remove(workItem))
        {
            return;
        }

        if (!sessions.TryKeep(workItem))
        {
            await returns.EndSessionAsync(workItem).ConfigureAwait(false);
        }

        inFlight.MarkProgress();
    }

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        TaskActivityWorkItem? workItem = await activityFetches.FetchAsync(receiveTimeout, cancellationToken).ConfigureAwait(false);
        if (workItem is null)
        {
            return null!;
        }

        inFlight.Activities.Add(workItem);
        if (signals.ActivitiesStopped.IsCancellationRequested && inFlight.Activities.Remove(workItem))
        {
            await returns.GiveBackAsync(workItem).ConfigureAwait(false);
            return null!;
        }

        return workItem;
    }

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) =>
        inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        if (!inFlight.Activities.Contains(workItem))
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
            inFlight.Activities.Remove(workItem);
            inFlight.MarkProgress();
        }
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        if (inFlight.Activities.Remove(workItem))
        {
            await inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
    }
}
