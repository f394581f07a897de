using System.Collections.Concurrent;
using System.Threading.Channels;
using DurableTask.Core;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Durable;

/// <summary>
/// Sits between the sidecar's dispatchers and the real orchestration service: applies our concurrency limits
/// (the in-memory service hard-codes the processor count), renews the locks of running activities (the sidecar
/// never does), and on shutdown drains in two steps and gives unfinished work items back to the queue.
/// </summary>
/// <remarks>
/// The sidecar starts the service only once a worker connects and stops it from an <c>async void</c> callback
/// that never finishes while a work item is outstanding; so <see cref="StartAsync()"/> and <see cref="StopAsync()"/>
/// do nothing here and <see cref="DurableSidecarHostedService"/> calls <see cref="StartInnerAsync"/> and
/// <see cref="StopInnerAsync"/> itself.
/// Azure Storage prefetches control-queue messages into memory and leaves them invisible for five minutes when
/// it stops; so the drain first stops only activities and keeps running orchestration episodes until the
/// control queues have been quiet for a while, and only then stops orchestrations too.
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
    readonly CancellationTokenSource activityDrain = new();
    readonly CancellationTokenSource orchestrationDrain = new();
    readonly CancellationTokenSource stopping = new();
    readonly List<Task> detachedFetches = [];
    readonly List<Task<TaskActivityWorkItem>> activityFetches = [];
    readonly SemaphoreSlim activityFetchLock = new(1, 1);
    readonly int activityFetchers;
    readonly Channel<TaskOrchestrationWorkItem> sessionsReady = Channel.CreateUnbounded<TaskOrchestrationWorkItem>();
    readonly ConcurrentDictionary<TaskOrchestrationWorkItem, Task> idleSessions = new(ReferenceEqualityComparer.Instance);
    readonly ConcurrentDictionary<TaskOrchestrationWorkItem, byte> abandoned = new(ReferenceEqualityComparer.Instance);
    readonly SemaphoreSlim orchestrationFetchLock = new(1, 1);
    Task<TaskOrchestrationWorkItem>? orchestrationFetch;
    long lastProgress = Environment.TickCount64;
    Task renewLoop = Task.CompletedTask;

    /// <param name="inner">The real orchestration service.</param>
    /// <param name="maxActivities">Most activities handed out and not yet completed.</param>
    /// <param name="maxOrchestrations">Most orchestration episodes at once.</param>
    /// <param name="renewInterval">How often running activities' locks are renewed; null never.</param>
    /// <param name="logger">Where failures of best-effort actions go.</param>
    /// <param name="activityFetchers">
    /// How many activity fetches run against the inner service at once. The sidecar fetches one work item at a time,
    /// and Azure Storage answers each fetch with one queue round trip, so a single fetch caps how fast activities start.
    /// </param>
    public TrackingOrchestrationService(
        IOrchestrationService inner, int maxActivities, int maxOrchestrations, TimeSpan? renewInterval, ILogger logger, int activityFetchers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(activityFetchers, 1);
        this.inner = inner;
        this.activityFetchers = activityFetchers;
        this.maxActivities = maxActivities;
        this.maxOrchestrations = maxOrchestrations;
        this.renewInterval = renewInterval;
        this.logger = logger;
    }

    public int InFlightActivities => activities.Count;

    /// <summary>Gets the poison bound: null when episodes are not counted (the memory backend).</summary>
    public EpisodeAttempts? Attempts { get; init; }

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

    /// <summary>Stops handing out activities; orchestration episodes keep running so prefetched messages get processed.</summary>
    public void StopActivities() => activityDrain.Cancel();

    /// <summary>Stops handing out any work item; the dispatchers keep waiting until they are stopped.</summary>
    public void StopAll()
    {
        activityDrain.Cancel();
        orchestrationDrain.Cancel();
    }

    /// <summary>
    /// Waits until no work item is outstanding and nothing happened for <paramref name="quietPeriod"/>, or the
    /// timeout passes; true when drained.
    /// </summary>
    public async Task<bool> WaitForDrainAsync(TimeSpan timeout, TimeSpan quietPeriod, CancellationToken cancellationToken)
    {
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (!activities.IsEmpty || !orchestrations.IsEmpty ||
                Environment.TickCount64 - Volatile.Read(ref lastProgress) < (long)quietPeriod.TotalMilliseconds)
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

    /// <summary>Stops renewing locks and ends fetches the dispatchers stopped waiting for.</summary>
    public async Task StopFetchingAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await renewLoop.ConfigureAwait(false);
        await activityFetchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DetachActivityFetches();
        }
        finally
        {
            activityFetchLock.Release();
        }

        await orchestrationFetchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DetachOrchestrationFetch();
        }
        finally
        {
            orchestrationFetchLock.Release();
        }

        // Idle extended sessions end when orchestrations stop (StopAll); sessions whose messages arrived but that no
        // episode took give those messages back.
        await Task.WhenAll(idleSessions.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        while (sessionsReady.Reader.TryRead(out TaskOrchestrationWorkItem? ready))
        {
            await GiveBackAsync(ready).ConfigureAwait(false);
        }

        Task[] fetches;
        lock (detachedFetches)
        {
            fetches = [.. detachedFetches];
        }

        await Task.WhenAll(fetches).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands every still-locked work item back to the queue so the next host picks it up without waiting.</summary>
    public async Task AbandonOutstandingAsync()
    {
        foreach (TaskActivityWorkItem workItem in activities.Keys)
        {
            if (activities.TryRemove(workItem, out _))
            {
                await GiveBackAsync(workItem).ConfigureAwait(false);
            }
        }

        foreach (TaskOrchestrationWorkItem workItem in orchestrations.Keys)
        {
            if (orchestrations.TryRemove(workItem, out _))
            {
                await GiveBackAsync(workItem).ConfigureAwait(false);
            }
        }
    }

    public Task StopInnerAsync(CancellationToken cancellationToken) =>
        inner.StopAsync(isForced: false).WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await renewLoop.ConfigureAwait(false);
        activityDrain.Dispose();
        activityFetchLock.Dispose();
        orchestrationFetchLock.Dispose();
        orchestrationDrain.Dispose();
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
        TaskOrchestrationWorkItem? workItem = await FetchAsync(
            orchestrationFetchLock, orchestrationDrain.Token, DetachOrchestrationFetch, waiting => NextOrchestrationAsync(receiveTimeout, waiting), cancellationToken).ConfigureAwait(false);
        if (workItem is null)
        {
            return null!;
        }

        if (Attempts is not null && await Attempts.BeginAsync(workItem.InstanceId, cancellationToken).ConfigureAwait(false))
        {
            await Attempts.TerminateAsync(inner, workItem).ConfigureAwait(false);
            return null!;
        }

        orchestrations.TryAdd(workItem, 0);
        MarkProgress();
        if (orchestrationDrain.IsCancellationRequested && orchestrations.TryRemove(workItem, out _))
        {
            // Fetched just as the drain began: give it back instead of starting new work.
            await GiveBackAsync(workItem).ConfigureAwait(false);
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
        NormalizeHistory(newOrchestrationRuntimeState);
        NormalizeTags(orchestratorMessages);
        NormalizeTags(outboundMessages);
        if (continuedAsNewMessage is not null)
        {
            NormalizeTags([continuedAsNewMessage]);
        }

        await inner.CompleteTaskOrchestrationWorkItemAsync(
            workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState).ConfigureAwait(false);
        if (Attempts is not null)
        {
            await Attempts.SucceededAsync(workItem.InstanceId).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The sidecar records a sub-orchestration's start as a subclass of <see cref="DurableTask.Core.History.SubOrchestrationInstanceCreatedEvent"/>;
    /// Azure Storage writes history rows by the event's runtime type and then cannot read that row back ("the
    /// TableEntity did not contain a 'EventType' property"). Store the base event instead.
    /// </summary>
    static void NormalizeHistory(OrchestrationRuntimeState? state)
    {
        if (state is null)
        {
            return;
        }

        for (var i = 0; i < state.NewEvents.Count; i++)
        {
            if (state.NewEvents[i] is DurableTask.Core.History.SubOrchestrationInstanceCreatedEvent created
                && created.GetType() != typeof(DurableTask.Core.History.SubOrchestrationInstanceCreatedEvent))
            {
                var plain = new DurableTask.Core.History.SubOrchestrationInstanceCreatedEvent(created.EventId);
                foreach (var property in typeof(DurableTask.Core.History.SubOrchestrationInstanceCreatedEvent).GetProperties())
                {
                    if (property.CanRead && property.CanWrite && property.Name != nameof(created.EventId))
                    {
                        property.SetValue(plain, property.GetValue(created));
                    }
                }

                var index = state.Events.IndexOf(created);
                if (index >= 0)
                {
                    state.Events[index] = plain;
                }

                state.NewEvents[i] = plain;
            }
        }
    }

    /// <summary>
    /// The sidecar builds a sub-orchestration's ExecutionStartedEvent with a protobuf MapField as its Tags; Azure
    /// Storage serialises control-queue messages with Newtonsoft type names and cannot read that type back, so the
    /// sub-orchestration never starts. A plain dictionary round-trips.
    /// </summary>
    static void NormalizeTags(IList<TaskMessage>? messages)
    {
        if (messages is null)
        {
            return;
        }

        foreach (var message in messages)
        {
            if (message.Event is DurableTask.Core.History.ExecutionStartedEvent { Tags: { } tags } started && tags.GetType() != typeof(Dictionary<string, string>))
            {
                started.Tags = new Dictionary<string, string>(tags);
            }
        }
    }

    public async Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        if (!orchestrations.ContainsKey(workItem))
        {
            return;
        }

        // An abandoned episode ends its session: the release that follows must really release.
        abandoned.TryAdd(workItem, 0);
        await inner.AbandonTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
    }

    public async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        // The dispatcher always releases, completed or abandoned; a missing entry means shutdown already did it.
        if (!orchestrations.TryRemove(workItem, out _))
        {
            return;
        }

        bool wasAbandoned = abandoned.TryRemove(workItem, out _);
        if (workItem.Session is not null && !wasAbandoned && !orchestrationDrain.IsCancellationRequested && !stopping.IsCancellationRequested
            && workItem.OrchestrationRuntimeState?.OrchestrationStatus is OrchestrationStatus.Running or OrchestrationStatus.Pending)
        {
            // Extended session (the sidecar's dispatcher does not do them itself): keep the instance's state in memory
            // and wait for its next messages instead of releasing it, so the next episode does not reload the history.
            TaskCompletionSource ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
            idleSessions[workItem] = ended.Task;
            _ = WaitForSessionMessagesAsync(workItem, ended);
            MarkProgress();
            return;
        }

        await EndSessionAsync(workItem).ConfigureAwait(false);
        MarkProgress();
    }

    /// <summary>
    /// Waits for the next messages of an idle extended session and hands the work item to the next fetch, or ends the
    /// session when it stays idle (the service's idle timeout) or orchestrations stop.
    /// </summary>
    async Task WaitForSessionMessagesAsync(TaskOrchestrationWorkItem workItem, TaskCompletionSource ended)
    {
        try
        {
            await WaitForSessionMessagesAsync(workItem).ConfigureAwait(false);
        }
        finally
        {
            ended.TrySetResult();
        }
    }

    async Task WaitForSessionMessagesAsync(TaskOrchestrationWorkItem workItem)
    {
        try
        {
            IList<TaskMessage>? messages = await workItem.Session.FetchNewOrchestrationMessagesAsync(workItem)
                .WaitAsync(orchestrationDrain.Token).ConfigureAwait(false);
            if (messages is { Count: > 0 } && idleSessions.TryRemove(workItem, out _))
            {
                // What the last episode added is now past history, as the Durable Task dispatcher does between episodes.
                OrchestrationRuntimeState state = workItem.OrchestrationRuntimeState;
                foreach (DurableTask.Core.History.HistoryEvent e in state.NewEvents)
                {
                    state.PastEvents.Add(e);
                }

                state.NewEvents.Clear();
                workItem.NewMessages = messages;
                sessionsReady.Writer.TryWrite(workItem);
                return;
            }
        }
        catch (OperationCanceledException) when (orchestrationDrain.IsCancellationRequested)
        {
            // Orchestrations are stopping: end the session below; its unprocessed messages go back to the service.
        }
#pragma warning disable CA1031 // A background wait must not fault unobserved; ending the session is the recovery.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WorkItemActionFailed(logger, ex, "wait for session messages", workItem.InstanceId);
        }

        if (idleSessions.TryRemove(workItem, out _))
        {
            await EndSessionAsync(workItem).ConfigureAwait(false);
        }
    }

    async Task EndSessionAsync(TaskOrchestrationWorkItem workItem)
    {
        if (workItem.Session is { } session)
        {
            await TryAsync(session.EndSessionAsync, "end session", workItem.InstanceId).ConfigureAwait(false);
        }

        await inner.ReleaseTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
    }

    /// <summary>
    /// The next orchestration work item: an extended session whose next messages arrived, or a new one from the
    /// service. The service fetch is never cancelled; one that loses the race stays outstanding for the next call.
    /// </summary>
    async Task<TaskOrchestrationWorkItem?> NextOrchestrationAsync(TimeSpan receiveTimeout, CancellationToken waiting)
    {
        while (!waiting.IsCancellationRequested)
        {
            if (sessionsReady.Reader.TryRead(out TaskOrchestrationWorkItem? ready))
            {
                return ready;
            }

            orchestrationFetch ??= inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, stopping.Token);
            using CancellationTokenSource race = CancellationTokenSource.CreateLinkedTokenSource(waiting);
            Task<bool> sessionWait = sessionsReady.Reader.WaitToReadAsync(race.Token).AsTask();
            Task done = await Task.WhenAny(orchestrationFetch, sessionWait).ConfigureAwait(false);
            await race.CancelAsync().ConfigureAwait(false);
            if (done == orchestrationFetch)
            {
                Task<TaskOrchestrationWorkItem> fetched = orchestrationFetch;
                orchestrationFetch = null;
                if (await fetched.ConfigureAwait(false) is { } workItem)
                {
                    return workItem;
                }
            }
        }

        return null;
    }

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        TaskActivityWorkItem? workItem = await FetchAsync(
            activityFetchLock, activityDrain.Token, DetachActivityFetches, waiting => NextActivityAsync(receiveTimeout, waiting), cancellationToken).ConfigureAwait(false);
        if (workItem is null)
        {
            return null!;
        }

        activities.TryAdd(workItem, 0);
        if (activityDrain.IsCancellationRequested && activities.TryRemove(workItem, out _))
        {
            await GiveBackAsync(workItem).ConfigureAwait(false);
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
            MarkProgress();
        }
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        if (activities.TryRemove(workItem, out _))
        {
            await inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Keeps up to <see cref="activityFetchers"/> fetches outstanding (never more than the free activity slots) and
    /// returns whichever finishes first; the others stay outstanding for the next call.
    /// </summary>
    async Task<TaskActivityWorkItem?> NextActivityAsync(TimeSpan receiveTimeout, CancellationToken waiting)
    {
        while (!waiting.IsCancellationRequested)
        {
            int free = maxActivities - activities.Count - activityFetches.Count;
            for (var i = activityFetches.Count; i < activityFetchers && free > 0; i++, free--)
            {
                activityFetches.Add(inner.LockNextTaskActivityWorkItem(receiveTimeout, stopping.Token));
            }

            if (activityFetches.Count == 0)
            {
                // Every slot is taken: the dispatcher asked anyway; wait for a completion to free one.
                await Task.Delay(TimeSpan.FromMilliseconds(20), waiting).ConfigureAwait(false);
                continue;
            }

            Task<TaskActivityWorkItem> done = await Task.WhenAny(activityFetches).WaitAsync(waiting).ConfigureAwait(false);
            activityFetches.Remove(done);
            if (await done.ConfigureAwait(false) is { } workItem)
            {
                return workItem;
            }
        }

        return null;
    }

    /// <summary>
    /// One fetch for a sidecar dispatcher, under that dispatcher's lock. Never cancels a fetch in flight: Azure Storage
    /// may already have dequeued the message, which would then stay invisible until its visibility timeout. On drain
    /// or stop it stops waiting, <paramref name="detach"/> hands the outstanding fetches over to be given back when
    /// they return, and the dispatcher loop is parked until the sidecar stops it (returning null would make it spin).
    /// </summary>
    async Task<T?> FetchAsync<T>(
        SemaphoreSlim fetchLock, CancellationToken drain, Action detach, Func<CancellationToken, Task<T?>> next, CancellationToken cancellationToken)
        where T : class
    {
        await fetchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using CancellationTokenSource waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drain, stopping.Token);
            if (await next(waiting.Token).ConfigureAwait(false) is { } workItem)
            {
                return workItem;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || drain.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            // Draining or stopping: fall through.
        }
        finally
        {
            if (drain.IsCancellationRequested || stopping.IsCancellationRequested)
            {
                detach();
            }

            fetchLock.Release();
        }

        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return null;
    }

    void DetachOrchestrationFetch()
    {
        if (orchestrationFetch is { } outstanding)
        {
            orchestrationFetch = null;
            lock (detachedFetches)
            {
                detachedFetches.Add(GiveBackWhenFetchedAsync(outstanding, GiveBackAsync));
            }
        }
    }

    void DetachActivityFetches()
    {
        lock (detachedFetches)
        {
            foreach (Task<TaskActivityWorkItem> fetch in activityFetches)
            {
                detachedFetches.Add(GiveBackWhenFetchedAsync(fetch, GiveBackAsync));
            }
        }

        activityFetches.Clear();
    }

    async Task GiveBackWhenFetchedAsync<T>(Task<T> fetch, Func<T, Task> giveBack)
        where T : class
    {
        T? workItem;
        try
        {
            workItem = await fetch.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Stopping: a failed or cancelled fetch has nothing to give back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (ex is not OperationCanceledException)
            {
                Log.WorkItemActionFailed(logger, ex, "fetch", "(none)");
            }

            return;
        }

        if (workItem is not null)
        {
            await giveBack(workItem).ConfigureAwait(false);
        }
    }

    Task GiveBackAsync(TaskActivityWorkItem workItem) =>
        TryAsync(() => inner.AbandonTaskActivityWorkItemAsync(workItem), "abandon activity", workItem.Id);

    async Task GiveBackAsync(TaskOrchestrationWorkItem workItem)
    {
        await TryAsync(() => inner.AbandonTaskOrchestrationWorkItemAsync(workItem), "abandon orchestration", workItem.InstanceId).ConfigureAwait(false);
        await TryAsync(() => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem), "release orchestration", workItem.InstanceId).ConfigureAwait(false);
    }

    void MarkProgress() => Volatile.Write(ref lastProgress, Environment.TickCount64);

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
