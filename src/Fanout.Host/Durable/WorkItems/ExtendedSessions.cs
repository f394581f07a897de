using System.Collections.Concurrent;
using System.Threading.Channels;
using DurableTask.Core;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// Extended sessions, which the sidecar's dispatcher does not run itself: a released episode of a running instance
/// keeps its state in memory and waits for the instance's next messages instead of being released, so the next
/// episode does not reload the history. When they arrive the work item goes to <see cref="Ready"/> for the next fetch.
/// </summary>
internal sealed class ExtendedSessions(WorkItemReturns returns, ShutdownSignals signals)
{
    readonly Channel<TaskOrchestrationWorkItem> ready = Channel.CreateUnbounded<TaskOrchestrationWorkItem>();
    readonly ConcurrentDictionary<TaskOrchestrationWorkItem, Task> idle = new(ReferenceEqualityComparer.Instance);
    readonly ConcurrentDictionary<TaskOrchestrationWorkItem, byte> abandoned = new(ReferenceEqualityComparer.Instance);

    /// <summary>Gets the sessions whose next messages arrived, for the next orchestration fetch.</summary>
    public ChannelReader<TaskOrchestrationWorkItem> Ready => ready.Reader;

    /// <summary>Gets how many sessions wait for messages.</summary>
    public int IdleCount => idle.Count;

    /// <summary>An abandoned episode ends its session: the release that follows must really release.</summary>
    public void MarkAbandoned(TaskOrchestrationWorkItem workItem) => abandoned.TryAdd(workItem, 0);

    /// <summary>
    /// Called on release: keeps the session when it may continue (not abandoned, the instance still running, nothing
    /// stopping) and returns true; otherwise false, and the caller ends it.
    /// </summary>
    public bool TryKeep(TaskOrchestrationWorkItem workItem)
    {
        bool wasAbandoned = abandoned.TryRemove(workItem, out _);
        if (workItem.Session is null || wasAbandoned || signals.OrchestrationsStopped.IsCancellationRequested || signals.FetchingStopped.IsCancellationRequested
            || workItem.OrchestrationRuntimeState?.OrchestrationStatus is not (OrchestrationStatus.Running or OrchestrationStatus.Pending))
        {
            return false;
        }

        TaskCompletionSource ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        idle[workItem] = ended.Task;
        _ = WaitForMessagesAsync(workItem, ended);
        return true;
    }

    /// <summary>
    /// On stop, after orchestrations stopped: waits for idle sessions to end, and gives back the messages of sessions
    /// that woke up but that no episode took.
    /// </summary>
    public async Task EndAllAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(idle.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        while (ready.Reader.TryRead(out TaskOrchestrationWorkItem? workItem))
        {
            await returns.GiveBackAsync(workItem).ConfigureAwait(false);
        }
    }

    async Task WaitForMessagesAsync(TaskOrchestrationWorkItem workItem, TaskCompletionSource ended)
    {
        try
        {
            await WaitForMessagesAsync(workItem).ConfigureAwait(false);
        }
        finally
        {
            ended.TrySetResult();
        }
    }

    /// <summary>
    /// Waits for the next messages of an idle session and hands the work item to the next fetch, or ends the session
    /// when it stays idle (the service's idle timeout) or orchestrations stop.
    /// </summary>
    async Task WaitForMessagesAsync(TaskOrchestrationWorkItem workItem)
    {
        try
        {
            IList<TaskMessage>? messages = await workItem.Session.FetchNewOrchestrationMessagesAsync(workItem)
                .WaitAsync(signals.OrchestrationsStopped).ConfigureAwait(false);
            if (messages is { Count: > 0 } && idle.TryRemove(workItem, out _))
            {
                // What the last episode added is now past history, as the Durable Task dispatcher does between episodes.
                OrchestrationRuntimeState state = workItem.OrchestrationRuntimeState;
                foreach (DurableTask.Core.History.HistoryEvent e in state.NewEvents)
                {
                    state.PastEvents.Add(e);
                }

                state.NewEvents.Clear();
                workItem.NewMessages = messages;
                ready.Writer.TryWrite(workItem);
                return;
            }
        }
        catch (OperationCanceledException) when (signals.OrchestrationsStopped.IsCancellationRequested)
        {
            // Orchestrations are stopping: end the session below; its unprocessed messages go back to the service.
        }
#pragma warning disable CA1031 // A background wait must not fault unobserved; ending the session is the recovery.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            returns.Failed(ex, "wait for session messages", workItem.InstanceId);
        }

        if (idle.TryRemove(workItem, out _))
        {
            await returns.EndSessionAsync(workItem).ConfigureAwait(false);
        }
    }
}
