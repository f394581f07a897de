using Fanout.Simulator.Apis;
using Fanout.Simulator.Logging;
using Fanout.Simulator.Options;
using Fanout.Simulator.RateLimiting;
using Fanout.Simulator.Stats;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fanout.Simulator;

/// <summary>Wires the simulator into any ASP.NET Core app: <c>services.AddSimulator()</c> then <c>app.MapSimulator()</c>.</summary>
public static class SimulatorServiceCollectionExtensions
{
    /// <summary>Default address of the standalone server.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5055";

    /// <summary>Registers the simulator with <see cref="SimulatorOptions"/> bound from <c>Fanout:Simulator</c> and validated on start.</summary>
    public static IServiceCollection AddSimulator(this IServiceCollection services, Action<SimulatorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return services.AddSimulatorCore(sp => sp.GetRequiredService<IOptions<SimulatorOptions>>().Value);
    }

    /// <summary>
    /// Maps the chat-completions routes (<c>POST /openai/deployments/{deployment}/chat/completions</c>, <c>POST /v1/chat/completions</c>),
    /// <c>GET /stats</c>, <c>POST /stats/reset</c> and <c>GET /healthz</c> under <paramref name="prefix"/>.
    /// </summary>
    public static RouteGroupBuilder MapSimulator(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        return SimulatorApi.Map(endpoints, prefix);
    }

    /// <summary>
    /// Sets up a standalone simulator host: options from configuration, <see cref="DefaultUrl"/> unless <c>--urls</c> (or
    /// <c>ASPNETCORE_URLS</c> / <c>ASPNETCORE_HTTP_PORTS</c>) says otherwise, and Warning-level logs but for one start line.
    /// </summary>
    public static WebApplicationBuilder AddSimulatorStandalone(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["http_ports"])
            && string.IsNullOrEmpty(configuration["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter(SimulatorLog.Category, LogLevel.Information);
        builder.Services.AddSimulator();
        return builder;
    }

    /// <summary>Writes the start line (addresses and main settings) once the server listens.</summary>
    public static WebApplication LogSimulatorStart(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var options = app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(SimulatorLog.Category);
            SimulatorLog.Listening(logger, string.Join(", ", addresses), options.LatencyMs, options.RequestsPerMinute,
                options.TokensPerMinute, options.FailureRate);
        });
        return app;
    }

    internal static IServiceCollection AddSimulatorCore(this IServiceCollection services, Func<IServiceProvider, SimulatorOptions> options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SimulatorStats(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new SlidingWindowRateLimiter(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new SimulatorEngine(
            options(sp),
            sp.GetRequiredService<SimulatorStats>(),
            sp.GetRequiredService<SlidingWindowRateLimiter>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None));
        return services;
    }
}
