using DurableTask.Core;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// Activity fetches for the sidecar's activity dispatcher. The sidecar fetches one work item at a time and Azure
/// Storage answers each fetch with one queue round trip, so a single fetch caps how fast activities start: this keeps
/// up to <c>fetchers</c> fetches outstanding (never more than the free activity slots) and hands out whichever
/// answers first; the others stay outstanding for the next call.
/// </summary>
internal sealed class ActivityFetchPool : IDisposable
{
    readonly IOrchestrationService inner;
    readonly int maxActivities;
    readonly int fetchers;
    readonly WorkItemSet<TaskActivityWorkItem> inFlight;
    readonly CancellationToken stopping;
    readonly DetachedFetches detached;
    readonly FetchGate gate;
    readonly List<Task<TaskActivityWorkItem>> fetches = [];

    public ActivityFetchPool(
        IOrchestrationService inner, int maxActivities, int fetchers, WorkItemSet<TaskActivityWorkItem> inFlight, ShutdownSignals signals, DetachedFetches detached)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fetchers, 1);
        this.inner = inner;
        this.maxActivities = maxActivities;
        this.fetchers = fetchers;
        this.inFlight = inFlight;
        this.detached = detached;
        stopping = signals.FetchingStopped;
        gate = new FetchGate(signals.ActivitiesStopped, signals.FetchingStopped);
    }

    /// <summary>The next activity; parks (returns only when cancelled, with null) once activities stop.</summary>
    public Task<TaskActivityWorkItem?> FetchAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        gate.FetchAsync(waiting => NextAsync(receiveTimeout, waiting), Detach, cancellationToken);

    /// <summary>Detaches the outstanding fetches once no dispatcher call is running.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => gate.RunExclusiveAsync(Detach, cancellationToken);

    public void Dispose() => gate.Dispose();

    async Task<TaskActivityWorkItem?> NextAsync(TimeSpan receiveTimeout, CancellationToken waiting)
    {
        while (!waiting.IsCancellationRequested)
        {
            int free = maxActivities - inFlight.Count - fetches.Count;
            for (var i = fetches.Count; i < fetchers && free > 0; i++, free--)
            {
                fetches.Add(inner.LockNextTaskActivityWorkItem(receiveTimeout, stopping));
            }

            if (fetches.Count == 0)
            {
                // Every slot is taken: the dispatcher asked anyway; wait for a completion to free one.
                await Task.Delay(TimeSpan.FromMilliseconds(20), waiting).ConfigureAwait(false);
                continue;
            }

            Task<TaskActivityWorkItem> done = await Task.WhenAny(fetches).WaitAsync(waiting).ConfigureAwait(false);
            fetches.Remove(done);
            if (await done.ConfigureAwait(false) is { } workItem)
            {
                return workItem;
            }
        }

        return null;
    }

    void Detach()
    {
        foreach (Task<TaskActivityWorkItem> fetch in fetches)
        {
            detached.Add(fetch);
        }

        fetches.Clear();
    }
}
