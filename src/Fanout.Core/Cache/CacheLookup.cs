namespace Fanout.Core.Cache;

/// <summary>
/// What <see cref="ResponseCache.LookupAsync"/> found: an <see cref="Answer"/> (from the store or from a copy answered
/// just now), or the claim to call the model. Dispose it in every case: the claim is given up and the waiting copies
/// are told; without a stored answer they try again themselves.
/// </summary>
public sealed class CacheLookup : IAsyncDisposable
{
    private readonly ResponseCache _cache;
    private readonly string _key;
    private CacheClaim? _claim;
    private readonly TaskCompletionSource<CachedResponse?>? _mine;
    private readonly CancellationTokenSource? _keep;
    private readonly Task? _keeping;
    private CachedResponse? _stored;
    private int _disposed;

    internal CacheLookup(ResponseCache cache, string key, CachedResponse? answer, CacheClaim? claim, TaskCompletionSource<CachedResponse?>? mine)
    {
        _cache = cache;
        _key = key;
        Answer = answer;
        _claim = claim;
        _mine = mine;
        if (claim is not null)
        {
            _keep = new CancellationTokenSource();
            _keeping = cache.KeepAsync(claim, renewed => Volatile.Write(ref _claim, renewed), _keep.Token);
        }
    }

    /// <summary>The request's key.</summary>
    public string Key => _key;

    /// <summary>The stored answer; null when this copy is the one to call the model.</summary>
    public CachedResponse? Answer { get; }

    /// <summary>Stores this copy's successful answer (and hands it to the copies waiting in this process).</summary>
    public async Task StoreAsync(CachedResponse answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (_mine is null)
        {
            return;
        }

        await _cache.StoreAsync(_key, answer, cancellationToken).ConfigureAwait(false);
        _stored = answer;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || _mine is null)
        {
            return;
        }

        try
        {
            if (_keep is not null)
            {
                await _keep.CancelAsync().ConfigureAwait(false);
                await _keeping!.ConfigureAwait(false);
                _keep.Dispose();
            }
        }
        finally
        {
            // Released with the claim's latest ETag (a renewal changes it), and the waiting copies always told.
            await _cache.ReleaseAsync(_key, Volatile.Read(ref _claim), _mine, _stored).ConfigureAwait(false);
        }
    }
}
