namespace Fanout.Core.Storage;

/// <summary>
/// Group commit for <see cref="IStorageFlush"/>: at most one flush runs at a time, and every caller that arrives while
/// it runs shares the single next one (which starts after it, so it covers what they wrote). Hundreds of submits at
/// once cost two saves, not hundreds in a row: one save per caller on one connection made the 200th submit wait 30 s
/// and fail after its batch was scheduled.
/// </summary>
public sealed class GroupedStorageFlush(IStorageFlush inner) : IStorageFlush
{
    private readonly Lock gate = new();
    private TaskCompletionSource? pending;
    private bool flushing;

    /// <summary>How many flushes <see cref="FlushAsync"/> has asked of the inner flush.</summary>
    public int Flushes { get; private set; }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource round;
        var start = false;
        lock (gate)
        {
            round = pending ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!flushing)
            {
                flushing = true;
                pending = null;
                start = true;
            }
        }

        if (start)
        {
            _ = RunAsync(round);
        }

        return round.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync(TaskCompletionSource round)
    {
        while (true)
        {
            try
            {
                Flushes++;

                // Not the caller's token: the flush serves every caller of its round, whoever of them gives up.
                await inner.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                round.TrySetResult();
            }
            catch (Exception e)
            {
                round.TrySetException(e);
            }

            lock (gate)
            {
                if (pending is null)
                {
                    flushing = false;
                    return;
                }

                round = pending;
                pending = null;
            }
        }
    }
}
