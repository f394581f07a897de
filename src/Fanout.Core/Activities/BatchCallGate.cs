using System.Collections.Concurrent;
using Fanout.Core.Models;

namespace Fanout.Core.Activities;

/// <summary>
/// This process's hard ceiling on a batch's calls to the model, and its guard against running one line twice at once.
/// The orchestrator's sliding window is what keeps a batch within its cap; at-least-once delivery can still hand this
/// process a second copy of a call whose first copy is running (an episode lost to a crash between sending its calls
/// and saving its history is replayed, and its calls are sent again). Without this gate both copies would call the
/// model, above the cap and paid twice. With it:
/// <list type="bullet">
/// <item>a copy of a line (same batch, line and attempt) that arrives while the first still runs waits for the first
/// and reports its outcome, without a second call;</item>
/// <item>the calls of a batch in flight in this process never exceed its cap, whatever the orchestrator sent.</item>
/// </list>
/// Both are per process: copies that land on two hosts are not seen here (see the README's "Scaling out").
/// Activity code, not orchestrator code: a semaphore is fine here.
/// </summary>
public sealed class BatchCallGate
{
    private readonly ConcurrentDictionary<string, Slots> _batches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string BatchId, int Index, int Attempt), Task<PromptOutcome>> _lines = new();

    /// <summary>Lines of any batch running in this process now.</summary>
    public int LinesInFlight => _lines.Count;

    /// <summary>Batches with calls in flight (or waiting for a slot) in this process now.</summary>
    public int Batches => _batches.Count;

    /// <summary>
    /// Runs <paramref name="run"/> for <paramref name="item"/> unless a copy of the same line and attempt is running
    /// in this process: then it waits for that copy and returns its outcome (<paramref name="joined"/> is told).
    /// </summary>
    public async Task<PromptOutcome> RunOnceAsync(PromptWorkItem item, Func<Task<PromptOutcome>> run, Action? joined = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(run);
        var key = (item.BatchId, item.Index, item.Attempt);
        var mine = new TaskCompletionSource<PromptOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _lines.GetOrAdd(key, mine.Task);
        if (running != mine.Task)
        {
            joined?.Invoke();
            return await running.ConfigureAwait(false);
        }

        try
        {
            var outcome = await run().ConfigureAwait(false);
            mine.SetResult(outcome);
            return outcome;
        }
        catch (Exception e)
        {
            mine.SetException(e);
            throw;
        }
        finally
        {
            _lines.TryRemove(new KeyValuePair<(string, int, int), Task<PromptOutcome>>(key, mine.Task));
        }
    }

    /// <summary>
    /// Takes one of the batch's <paramref name="cap"/> call slots in this process (waits while all are taken); dispose
    /// the result to give it back. A cap of 0 (a call scheduled before the cap was sent along) takes no slot.
    /// </summary>
    public async ValueTask<IDisposable> EnterAsync(string batchId, int cap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        if (cap <= 0)
        {
            return NoSlot.Instance;
        }

        Slots slots;
        while (true)
        {
            slots = _batches.GetOrAdd(batchId, static (_, c) => new Slots(c), cap);
            lock (slots)
            {
                if (!slots.Removed)
                {
                    slots.Users++;
                    break;
                }
            }
        }

        try
        {
            await slots.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(batchId, slots);
            throw;
        }

        return new Slot(this, batchId, slots);
    }

    private void Leave(string batchId, Slots slots)
    {
        lock (slots)
        {
            if (--slots.Users > 0)
            {
                return;
            }

            slots.Removed = true;
        }

        _batches.TryRemove(new KeyValuePair<string, Slots>(batchId, slots));
        slots.Semaphore.Dispose();
    }

    private sealed class Slots(int cap)
    {
        public SemaphoreSlim Semaphore { get; } = new(cap, cap);

        public int Users { get; set; }

        public bool Removed { get; set; }
    }

    private sealed class Slot(BatchCallGate gate, string batchId, Slots slots) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                slots.Semaphore.Release();
                gate.Leave(batchId, slots);
            }
        }
    }

    private sealed class NoSlot : IDisposable
    {
        public static readonly NoSlot Instance = new();

        public void Dispose()
        {
        }
    }
}
