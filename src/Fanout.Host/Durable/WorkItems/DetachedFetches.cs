using DurableTask.Core;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// Fetches that no dispatcher waits for any more (draining or stopping). A fetch is never cancelled in flight, since
/// Azure Storage may already have dequeued its message; whatever it returns is given back instead.
/// </summary>
internal sealed class DetachedFetches(WorkItemReturns returns)
{
    readonly List<Task> pending = [];

    public void Add(Task<TaskActivityWorkItem> fetch) => Track(GiveBackWhenFetchedAsync(fetch, returns.GiveBackAsync));

    public void Add(Task<TaskOrchestrationWorkItem> fetch) => Track(GiveBackWhenFetchedAsync(fetch, returns.GiveBackAsync));

    /// <summary>Waits until every detached fetch has returned and its work item was given back.</summary>
    public Task WhenAllAsync(CancellationToken cancellationToken)
    {
        Task[] fetches;
        lock (pending)
        {
            fetches = [.. pending];
        }

        return Task.WhenAll(fetches).WaitAsync(cancellationToken);
    }

    void Track(Task giveBack)
    {
        lock (pending)
        {
            pending.Add(giveBack);
        }
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
                returns.Failed(ex, "fetch", "(none)");
            }

            return;
        }

        if (workItem is not null)
        {
            await giveBack(workItem).ConfigureAwait(false);
        }
    }
}
