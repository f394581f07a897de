using Fanout.Core;
using Fanout.Core.Estimates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fanout.Tests.Estimates;

/// <summary><see cref="EstimateSettings"/> as the app builds it (options bound and validated by <c>AddFanoutCore</c>), from in-memory settings.</summary>
internal static class TestEstimateSettings
{
    public static EstimateSettings From(IEnumerable<KeyValuePair<string, string?>>? settings = null, SimulatedQuota? simulator = null)
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
        services.AddFanoutCore();
        if (simulator is not null)
        {
            services.AddSingleton(simulator);
        }

        return services.BuildServiceProvider().GetRequiredService<EstimateSettings>();
    }
}
