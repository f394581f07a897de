using System.Net;
using DurableTask.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fanout.Durable;

/// <summary>
/// Builds the Durable Task client's endpoint: the test host's <see cref="TaskHubGrpcServer"/> on its own loopback Kestrel.
/// It only answers the client (start, query, raise, purge): no worker connects to it.
/// </summary>
internal static class ClientEndpointHost
{
    /// <summary>Builds the endpoint's host (not started) over <paramref name="orchestrationService"/> and <paramref name="client"/>.</summary>
    public static IHost Build(
        IOrchestrationService orchestrationService,
        IOrchestrationServiceClient client,
        ClientEndpoint endpoint,
        ILoggerFactory loggerFactory)
    {
        // A bare HostBuilder, not Host.CreateDefaultBuilder: no appsettings, no environment variables and,
        // above all, no console lifetime of its own, so Ctrl+C stops it only through our ordered shutdown.
        return new HostBuilder()
            .ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
                logging.SetMinimumLevel(LogLevel.Trace);

                // Kestrel and gRPC log every call at Information: several lines per client call. The rest goes through the app's filters.
                logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
                logging.AddFilter("Grpc", LogLevel.Warning);
            })
            .ConfigureServices(services => services.AddSingleton<IHostLifetime, ExternallyControlledLifetime>())
            .ConfigureWebHost(
                web => web
                    .UseKestrel(kestrel => kestrel.Listen(
                        IPAddress.Loopback, endpoint.Port, listen => listen.Protocols = HttpProtocols.Http2))
                    .ConfigureServices(services =>
                    {
                        services.AddGrpc();
                        services.AddSingleton(orchestrationService);
                        services.AddSingleton(client);
                        services.AddSingleton<TaskHubGrpcServer>();
                    })
                    .Configure(app =>
                    {
                        app.UseRouting();
                        app.UseEndpoints(endpoints => endpoints.MapGrpcService<TaskHubGrpcServer>());
                    }),
                webHostOptions => webHostOptions.SuppressEnvironmentConfiguration = true)
            .Build();
    }
}
