using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Cache;

/// <summary>
/// The blobs of the response cache, in container <see cref="CacheOptions.Container"/> (<c>fanout-cache</c>):
/// <list type="bullet">
/// <item><c>{key}</c>: an answer (<see cref="CachedResponse"/>), with metadata <c>expires</c> (Unix seconds);</item>
/// <item><c>claims/{key}</c>: the claim of the copy calling the model now, created with <c>If-None-Match: *</c> (one
/// winner across hosts), metadata <c>expires</c>, renewed by its owner, broken by a waiter once expired.</item>
/// </list>
/// An entry that cannot be read as an answer, or has expired, is a miss, never an error.
/// </summary>
public sealed partial class ResponseCacheStore(BlobServiceClient service, IOptions<CacheOptions> options, TimeProvider time, ILogger<ResponseCacheStore> logger)
{
    private const string ExpiresKey = "expires";
    private const string ClaimPrefix = "claims/";
    private readonly BlobContainerClient _container = service.GetBlobContainerClient(options.Value.Container);
    private Task? _created;

    /// <summary>The cache's container.</summary>
    public BlobContainerClient Container => _container;

    /// <summary>The stored answer of <paramref name="key"/>, or null: absent, expired or unreadable.</summary>
    public async Task<CachedResponse?> TryReadAsync(string key, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync().ConfigureAwait(false);
        BlobDownloadResult download;
        try
        {
            download = (await _container.GetBlobClient(key).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }

        if (!TryExpires(download.Details.Metadata, out var expires) || expires <= time.GetUtcNow())
        {
            return null;
        }

        var answer = CachedResponse.TryParse(download.Content.ToMemory());
        if (answer is null)
        {
            LogCorrupt(logger, key);
        }

        return answer;
    }

    /// <summary>True when <paramref name="key"/> has an entry that has not expired (the dry run's probe: its content is not read).</summary>
    public async Task<bool> IsFreshAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await _container.GetBlobClient(key).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return TryExpires(properties.Value.Metadata, out var expires) && expires > time.GetUtcNow();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>Stores the answer of <paramref name="key"/> for <see cref="CacheOptions.Ttl"/>.</summary>
    public async Task WriteAsync(string key, CachedResponse answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        await EnsureContainerAsync().ConfigureAwait(false);
        await _container.GetBlobClient(key).UploadAsync(
            BinaryData.FromBytes(answer.ToJson()),
            new BlobUploadOptions { Metadata = Expiring(options.Value.Ttl) },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Claims <paramref name="key"/> for this copy; null when another copy holds it.</summary>
    public async Task<CacheClaim?> TryClaimAsync(string key, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync().ConfigureAwait(false);
        try
        {
            var info = await _container.GetBlobClient(ClaimPrefix + key).UploadAsync(
                BinaryData.Empty,
                new BlobUploadOptions { Metadata = Expiring(options.Value.ClaimTimeout), Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
            return new CacheClaim(key, info.Value.ETag);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>
    /// True when <paramref name="key"/> has no live claim: none, or one whose owner stopped renewing it (deleted here,
    /// only if it is still the one read).
    /// </summary>
    public async Task<bool> TryBreakStaleClaimAsync(string key, CancellationToken cancellationToken)
    {
        var claim = _container.GetBlobClient(ClaimPrefix + key);
        try
        {
            var properties = (await claim.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            if (TryExpires(properties.Metadata, out var expires) && expires > time.GetUtcNow())
            {
                return false;
            }

            await claim.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = properties.ETag }, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogClaimBroken(logger, key);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone, or renewed or replaced since it was read: look again.
            return e.Status == 404;
        }
    }

    /// <summary>Pushes the claim's expiry forward; null when it is no longer this owner's (taken over).</summary>
    public async Task<CacheClaim?> RenewAsync(CacheClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            var info = await _container.GetBlobClient(ClaimPrefix + claim.Key).SetMetadataAsync(
                Expiring(options.Value.ClaimTimeout), new BlobRequestConditions { IfMatch = claim.ETag }, cancellationToken).ConfigureAwait(false);
            return claim with { ETag = info.Value.ETag };
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return null;
        }
    }

    /// <summary>Gives the claim up (when it is still this owner's).</summary>
    public async Task ReleaseAsync(CacheClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            await _container.GetBlobClient(ClaimPrefix + claim.Key).DeleteAsync(
                conditions: new BlobRequestConditions { IfMatch = claim.ETag }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    /// <summary>Deletes the expired entries and claims (the retention pass); returns how many.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        if (!await _container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var deleted = 0;
        await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }, cancellationToken).ConfigureAwait(false))
        {
            // An entry with no readable expiry (written by hand, or corrupt) is old once its own write is a TTL ago.
            var expires = TryExpires(item.Metadata, out var e) ? e : (item.Properties.LastModified ?? now) + options.Value.Ttl;
            if (expires <= now)
            {
                try
                {
                    await _container.DeleteBlobAsync(item.Name, conditions: new BlobRequestConditions { IfMatch = item.Properties.ETag }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    deleted++;
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                {
                    // Rewritten (a fresh answer) or deleted since it was listed.
                }
            }
        }

        if (deleted > 0)
        {
            LogPurged(logger, deleted);
        }

        return deleted;
    }

    private Task EnsureContainerAsync()
    {
        var created = _created;
        if (created is null || created.IsFaulted)
        {
            created = _created = _container.CreateIfNotExistsAsync();
        }

        return created;
    }

    private Dictionary<string, string> Expiring(TimeSpan after) => new(StringComparer.Ordinal)
    {
        [ExpiresKey] = (time.GetUtcNow() + after).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
    };

    private static bool TryExpires(IDictionary<string, string>? metadata, out DateTimeOffset expires)
    {
        expires = default;
        if (metadata is null || !metadata.TryGetValue(ExpiresKey, out var text)
            || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return false;
        }

        expires = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ms, 0, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()));
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response cache: entry {Key} is not a stored answer; treated as a miss")]
    private static partial void LogCorrupt(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Response cache: the claim on {Key} was not renewed in time (its host stopped); another copy takes it over")]
    private static partial void LogClaimBroken(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Response cache: deleted {Count} expired entries")]
    private static partial void LogPurged(ILogger logger, int count);
}
