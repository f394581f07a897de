namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// One sidecar dispatcher's fetches, one at a time. On drain or stop a fetch stops waiting, the outstanding fetches
/// against the service are detached (to be given back when they return), and the dispatcher loop is parked until the
/// sidecar stops it: returning null would make it spin.
/// </summary>
internal sealed class FetchGate(CancellationToken drain, CancellationToken stopping) : IDisposable
{
    readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Runs <paramref name="next"/> under the gate; null only after the caller's token is cancelled.</summary>
    public async Task<T?> FetchAsync<T>(Func<CancellationToken, Task<T?>> next, Action detach, CancellationToken cancellationToken)
        where T : class
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using CancellationTokenSource waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drain, stopping);
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

            gate.Release();
        }

        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Runs <paramref name="action"/> once no fetch is running.</summary>
    public async Task RunExclusiveAsync(Action action, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            action();
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();
}
