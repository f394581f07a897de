using System.ComponentModel.DataAnnotations;
using Fanout.Host.Durable.Direct;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.DurableTask.Worker.Grpc.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Host.Durable;

/// <summary>Registers the portable host's Durable Task backend: orchestration service, in-process gRPC sidecar, worker and client.</summary>
public static class DurableBackendServiceCollectionExtensions
{
    /// <summary>
    /// Registers the orchestration service (Azure Storage, created if missing, or in-memory), an in-process gRPC
    /// sidecar (<c>TaskHubGrpcServer</c>) on a loopback port, a Durable Task worker running the tasks from
    /// <paramref name="configureTasks"/> and a <see cref="DurableTaskClient"/>, all started and stopped as hosted
    /// services. Call it once, and before any other hosted service that needs the client at start-up.
    /// </summary>
    public static IServiceCollection AddFanoutDurableBackend(
        this IServiceCollection services, DurableBackendOptions options, Action<DurableTaskRegistry> configureTasks)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configureTasks);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        if (services.Any(d => d.ServiceType == typeof(DurableSidecarHostedService)))
        {
            // A second sidecar would start a second worker, and each sidecar accepts a single worker connection.
            throw new InvalidOperationException($"{nameof(AddFanoutDurableBackend)} was already called on these services.");
        }

        services.AddSingleton(options);
        services.AddSingleton(_ => new SidecarEndpoint(options.SidecarPort));

        // Below the app's own configuration only where the app names a more specific category.
        services.AddLogging(logging => logging
            .AddFilter("DurableTask", options.DurableTaskLogLevel)
            .AddFilter("Microsoft.DurableTask", options.DurableTaskLogLevel));

        // Hosted services start in registration order and stop in reverse: the sidecar must come before the worker.
        services.AddSingleton<DurableSidecarHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<DurableSidecarHostedService>());

        services.AddDurableTaskWorker(builder =>
        {
            builder.AddTasks(configureTasks);
            if (options.Dispatch == DurableDispatchKind.TaskHubWorker)
            {
                builder.UseBuildTarget<TaskHubWorkerDurableTaskWorker>();
            }
            else
            {
                builder.UseGrpc();
            }
        });
        services.AddOptions<GrpcDurableTaskWorkerOptions>(Options.DefaultName)
            .Configure<SidecarEndpoint>((worker, endpoint) =>
            {
                worker.Address = endpoint.Address.ToString();

                // The sidecar hands out at most the orchestration service's limits; keep the worker at least as wide.
                worker.Concurrency.MaximumConcurrentActivityWorkItems = options.MaxConcurrentActivities;
                worker.Concurrency.MaximumConcurrentOrchestrationWorkItems = options.MaxConcurrentOrchestrations;

                // The in-process sidecar sends no health pings: without this an idle worker drops and reconnects
                // every two minutes, and the sidecar refuses the new stream while the old one is still open.
                worker.SetSilentDisconnectTimeout(TimeSpan.Zero);
            });

        services.AddDurableTaskClient(builder =>
        {
            builder.UseGrpc();
            builder.RegisterDirectly();
        });
        services.AddOptions<GrpcDurableTaskClientOptions>(Options.DefaultName)
            .Configure<SidecarEndpoint>((client, endpoint) => client.Address = endpoint.Address.ToString());

        return services;
    }
}
