using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fanout.Core.Cache;

/// <summary>Registers the response cache (<c>Fanout:Cache</c>).</summary>
public static class CacheServiceCollectionExtensions
{
    /// <summary>Binds <see cref="CacheOptions"/> (checked at start) and adds the store and the cache.</summary>
    public static IServiceCollection AddFanoutCache(this IServiceCollection services)
    {
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName)
            .Validate(o => o.Ttl > TimeSpan.Zero, "Fanout:Cache:Ttl must be positive, e.g. 7.00:00:00 (7 days).")
            .Validate(o => o.ClaimTimeout >= TimeSpan.FromSeconds(1), "Fanout:Cache:ClaimTimeout must be at least 00:00:01.")
            .Validate(o => IsContainerName(o.Container), "Fanout:Cache:Container must be a blob container name: 3-63 lowercase letters, digits and '-'.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ResponseCacheStore>();
        services.TryAddSingleton<ResponseCache>();
        return services;
    }

    private static bool IsContainerName(string? name)
        => name is { Length: >= 3 and <= 63 } && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && char.IsAsciiLetterOrDigit(name[0]);
}
