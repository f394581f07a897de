namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// The three steps of a graceful stop, as cancellation tokens the other parts watch: first no new activities, then no
/// new work item at all, then no fetch against the orchestration service. Each step only ever moves forward.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    readonly CancellationTokenSource activities = new();
    readonly CancellationTokenSource orchestrations = new();
    readonly CancellationTokenSource fetching = new();

    /// <summary>Gets a token cancelled once activities are no longer handed out.</summary>
    public CancellationToken ActivitiesStopped => activities.Token;

    /// <summary>Gets a token cancelled once orchestration episodes are no longer handed out.</summary>
    public CancellationToken OrchestrationsStopped => orchestrations.Token;

    /// <summary>Gets a token cancelled once nothing fetches from the orchestration service any more.</summary>
    public CancellationToken FetchingStopped => fetching.Token;

    /// <summary>Stops handing out activities; orchestration episodes keep running so prefetched messages get processed.</summary>
    public void StopActivities() => activities.Cancel();

    /// <summary>Stops handing out any work item; the dispatchers keep waiting until they are stopped.</summary>
    public void StopAll()
    {
        activities.Cancel();
        orchestrations.Cancel();
    }

    /// <summary>Ends every wait on the orchestration service.</summary>
    public Task StopFetchingAsync() => fetching.CancelAsync();

    public void Dispose()
    {
        activities.Dispose();
        orchestrations.Dispose();
        fetching.Dispose();
    }
}
