namespace Fanout.Core.Cache;

/// <summary>The response cache (<c>Fanout:Cache</c>): see <see cref="ResponseCache"/>.</summary>
public sealed class CacheOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Cache";

    /// <summary>Whether a batch that does not say <c>cache</c> uses the cache (default false).</summary>
    public bool Default { get; set; }

    /// <summary>How long a stored answer serves (default 7 days); the retention pass deletes it after that.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The blob container of the cache entries (and of the claims of requests being answered).</summary>
    public string Container { get; set; } = "fanout-cache";

    /// <summary>
    /// How long a claim on a request (the copy that calls the model) holds without being renewed; its owner renews it
    /// every third of this while it calls. A claim older than this (its host died) is taken over by a waiting copy.
    /// </summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
