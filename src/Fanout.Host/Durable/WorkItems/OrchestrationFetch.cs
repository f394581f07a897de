using DurableTask.Core;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// Orchestration fetches for the sidecar's orchestration dispatcher: the next work item is an extended session whose
/// next messages arrived, or a new one from the service. The service fetch is never cancelled; one that loses the race
/// stays outstanding for the next call.
/// </summary>
internal sealed class OrchestrationFetch(IOrchestrationService inner, ExtendedSessions sessions, ShutdownSignals signals, DetachedFetches detached)
    : IDisposable
{
    readonly FetchGate gate = new(signals.OrchestrationsStopped, signals.FetchingStopped);
    Task<TaskOrchestrationWorkItem>? outstanding;

    /// <summary>The next orchestration work item; parks (returns only when cancelled, with null) once orchestrations stop.</summary>
    public Task<TaskOrchestrationWorkItem?> FetchAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        gate.FetchAsync(waiting => NextAsync(receiveTimeout, waiting), Detach, cancellationToken);

    /// <summary>Detaches the outstanding fetch once no dispatcher call is running.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => gate.RunExclusiveAsync(Detach, cancellationToken);

    public void Dispose() => gate.Dispose();

    async Task<TaskOrchestrationWorkItem?> NextAsync(TimeSpan receiveTimeout, CancellationToken waiting)
    {
        while (!waiting.IsCancellationRequested)
        {
            if (sessions.Ready.TryRead(out TaskOrchestrationWorkItem? ready))
            {
                return ready;
            }

            outstanding ??= inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, signals.FetchingStopped);
            using CancellationTokenSource race = CancellationTokenSource.CreateLinkedTokenSource(waiting);
            Task<bool> sessionWait = sessions.Ready.WaitToReadAsync(race.Token).AsTask();
            Task done = await Task.WhenAny(outstanding, sessionWait).ConfigureAwait(false);
            await race.CancelAsync().ConfigureAwait(false);
            if (done == outstanding)
            {
                Task<TaskOrchestrationWorkItem> fetched = outstanding;
                outstanding = null;
                if (await fetched.ConfigureAwait(false) is { } workItem)
                {
                    return workItem;
                }
            }
        }

        return null;
    }

    void Detach()
    {
        if (outstanding is { } fetch)
        {
            outstanding = null;
            detached.Add(fetch);
        }
    }
}
