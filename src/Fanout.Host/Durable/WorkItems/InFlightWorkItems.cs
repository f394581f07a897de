using DurableTask.Core;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// What the dispatchers hold right now (activities and orchestration episodes handed out and not yet completed) and
/// when anything last happened: the drain waits on it, the lock renewal reads it, shutdown gives back what is left.
/// </summary>
internal sealed class InFlightWorkItems
{
    long lastProgress = Environment.TickCount64;

    public WorkItemSet<TaskActivityWorkItem> Activities { get; } = new();

    public WorkItemSet<TaskOrchestrationWorkItem> Orchestrations { get; } = new();

    /// <summary>Records that a work item was handed out, completed or released.</summary>
    public void MarkProgress() => Volatile.Write(ref lastProgress, Environment.TickCount64);

    /// <summary>
    /// Waits until no work item is outstanding and nothing happened for <paramref name="quietPeriod"/>, or the
    /// timeout passes; true when drained.
    /// </summary>
    public async Task<bool> WaitUntilQuietAsync(TimeSpan timeout, TimeSpan quietPeriod, CancellationToken cancellationToken)
    {
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (!Activities.IsEmpty || !Orchestrations.IsEmpty ||
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

    /// <summary>Hands every still-locked work item back to the queue so the next host picks it up without waiting.</summary>
    public async Task GiveBackAllAsync(WorkItemReturns returns)
    {
        foreach (TaskActivityWorkItem workItem in Activities.Items)
        {
            if (Activities.Remove(workItem))
            {
                await returns.GiveBackAsync(workItem).ConfigureAwait(false);
            }
        }

        foreach (TaskOrchestrationWorkItem workItem in Orchestrations.Items)
        {
            if (Orchestrations.Remove(workItem))
            {
                await returns.GiveBackAsync(workItem).ConfigureAwait(false);
            }
        }
    }
}
