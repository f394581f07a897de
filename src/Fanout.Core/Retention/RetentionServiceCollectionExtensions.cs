using Fanout.Core.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fanout.Core.Retention;

/// <summary>Registers the history purge (<see cref="HistoryPurger"/>) and its options.</summary>
public static class RetentionServiceCollectionExtensions
{
    /// <summary>Binds <c>Fanout:Durable:HistoryRetention</c> / <c>HistoryPurgeInterval</c> (checked at start) and adds the purger.</summary>
    public static IServiceCollection AddFanoutRetention(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName)
            .Validate(o => o.HistoryRetention >= TimeSpan.Zero, "Fanout:Durable:HistoryRetention must be 0 or positive, e.g. 1.00:00:00 (a day) or 00:00:00 (at once).")
            .Validate(o => o.HistoryPurgeInterval is null || o.HistoryPurgeInterval > TimeSpan.Zero, "Fanout:Durable:HistoryPurgeInterval must be positive, e.g. 00:05:00.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HistoryPurger>();
        return services;
    }
}
