using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Cache;

/// <summary>
/// Never pay twice: answers a request from the store, or makes the caller the one copy of it that calls the model while
/// every other copy waits for that answer (in this process, and on other hosts through a claim in storage).
/// <list type="bullet">
/// <item>In this process, the first copy of a request looks it up; the others await its outcome (no storage calls).</item>
/// <item>Across hosts, that copy reads the entry, else creates the claim blob with <c>If-None-Match: *</c>: one copy
/// wins; the others poll the entry (50 ms, doubling to 1 s) until it appears, the claim is given up (the owner failed:
/// the next copy is tried), or it is stale (its host died).</item>
/// <item>The owner stores its answer before it gives the claim up, and a new owner reads the entry once more after
/// claiming: a copy arriving between the two finds the answer instead of calling again.</item>
/// </list>
/// Activity code: waiting here holds no call slot of the batch (<see cref="Activities.BatchCallGate"/>), only the
/// copy's place in the orchestrator's window, and the owner it waits for is always a running activity.
/// </summary>
public sealed partial class ResponseCache(ResponseCacheStore store, IOptions<CacheOptions> options, TimeProvider time, ILogger<ResponseCache> logger)
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, Task<CachedResponse?>> _inFlight = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;

    /// <summary>Lookups answered from the store or a twin, in this process (tests, diagnostics).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that made their copy the one to call the model, in this process.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>
    /// The stored answer of <paramref name="key"/> (<see cref="CacheLookup.Answer"/>), or the claim to call the model
    /// for it: then give the answer to <see cref="CacheLookup.StoreAsync"/> on success, and dispose the lookup in any
    /// case (a failure is never stored; the next copy is tried).
    /// </summary>
    public async Task<CacheLookup> LookupAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        while (true)
        {
            var mine = new TaskCompletionSource<CachedResponse?>(TaskCreationOptions.RunContinuationsAsynchronously);
            var running = _inFlight.GetOrAdd(key, mine.Task);
            if (running != mine.Task)
            {
                CachedResponse? twin;
                try
                {
                    twin = await running.WaitAsync(options.Value.ClaimTimeout, time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // The in-process join is only a shortcut: a copy that waited a claim's length goes to storage itself
                    // (where a live owner's claim keeps it waiting, and a dead one's is broken), so it can never hang here.
                    mine = new TaskCompletionSource<CachedResponse?>(TaskCreationOptions.RunContinuationsAsynchronously);
                    return await AcquireOrFinishAsync(key, mine, cancellationToken).ConfigureAwait(false);
                }

                if (twin is not null)
                {
                    Interlocked.Increment(ref _hits);
                    return new CacheLookup(this, key, twin, null, null);
                }

                // That copy failed: try again, one of the waiting copies calls next.
                continue;
            }

            return await AcquireOrFinishAsync(key, mine, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the store or claims the request; <paramref name="mine"/> tells this process's waiting copies the outcome.</summary>
    private async Task<CacheLookup> AcquireOrFinishAsync(string key, TaskCompletionSource<CachedResponse?> mine, CancellationToken cancellationToken)
    {
        try
        {
            var (answer, claim) = await AcquireAsync(key, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                Interlocked.Increment(ref _hits);
                Finish(key, mine, answer);
                return new CacheLookup(this, key, answer, null, null);
            }

            Interlocked.Increment(ref _misses);
            return new CacheLookup(this, key, null, claim, mine);
        }
        catch
        {
            Finish(key, mine, null);
            throw;
        }
    }

    /// <summary>Stores the owner's answer; a storage failure here costs only the cache, never the line.</summary>
    internal async Task StoreAsync(string key, CachedResponse answer, CancellationToken cancellationToken)
    {
        try
        {
            await store.WriteAsync(key, answer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or IOException or TimeoutException)
        {
            LogStoreFailed(logger, key, e);
        }
    }

    /// <summary>Gives up the owner's claim, then tells this process's waiting copies the outcome.</summary>
    internal async Task ReleaseAsync(string key, CacheClaim? claim, TaskCompletionSource<CachedResponse?> mine, CachedResponse? answer)
    {
        try
        {
            if (claim is not null)
            {
                await store.ReleaseAsync(claim, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // The claim then expires on its own (ClaimTimeout): the waiting copies are only held up.
            LogReleaseFailed(logger, key, e);
        }
        finally
        {
            Finish(key, mine, answer);
        }
    }

    /// <summary>Renews <paramref name="claim"/> every third of the claim timeout until <paramref name="stop"/> is cancelled.</summary>
    internal async Task KeepAsync(CacheClaim claim, Action<CacheClaim> renewed, CancellationToken stop)
    {
        var every = options.Value.ClaimTimeout / 3;
        var current = claim;
        try
        {
            while (true)
            {
                await Task.Delay(every, time, stop).ConfigureAwait(false);
                if (await store.RenewAsync(current, stop).ConfigureAwait(false) is not { } next)
                {
                    return;
                }

                current = next;
                renewed(next);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // Whatever went wrong, the claim then expires on its own; the owner's release must still run.
            LogReleaseFailed(logger, claim.Key, e);
        }
    }

    private async Task<(CachedResponse? Answer, CacheClaim? Claim)> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var wait = FirstPoll;
        while (true)
        {
            if (await store.TryReadAsync(key, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                return (stored, null);
            }

            if (await store.TryClaimAsync(key, cancellationToken).ConfigureAwait(false) is { } claim)
            {
                // The previous owner may have stored its answer and let go between the read and the claim.
                if (await store.TryReadAsync(key, cancellationToken).ConfigureAwait(false) is { } late)
                {
                    await store.ReleaseAsync(claim, cancellationToken).ConfigureAwait(false);
                    return (late, null);
                }

                return (null, claim);
            }

            if (await store.TryBreakStaleClaimAsync(key, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestPoll.Ticks));
        }
    }

    private void Finish(string key, TaskCompletionSource<CachedResponse?> mine, CachedResponse? answer)
    {
        _inFlight.TryRemove(new KeyValuePair<string, Task<CachedResponse?>>(key, mine.Task));
        mine.TrySetResult(answer);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response cache: the answer of {Key} could not be stored; the line is answered all the same")]
    private static partial void LogStoreFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response cache: the claim on {Key} could not be renewed or released; it expires on its own")]
    private static partial void LogReleaseFailed(ILogger logger, string key, Exception exception);
}
