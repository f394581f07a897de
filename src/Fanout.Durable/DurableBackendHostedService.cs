using DurableTask.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Durable;

/// <summary>
/// Creates the orchestration service and its queues, tables and containers, and serves the Durable Task client on a
/// loopback gRPC endpoint (<see cref="ClientEndpointHost"/>). Registered before the worker
/// (<see cref="TaskHubWorkerDurableTaskWorker"/>), so it starts first and stops last; the worker starts and stops the
/// service's dispatch.
/// </summary>
internal sealed partial class DurableBackendHostedService(
    IOptions<DurableBackendOptions> options,
    ClientEndpoint endpoint,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    readonly ILogger logger = loggerFactory.CreateLogger<DurableBackendHostedService>();
    IOrchestrationService? service;
    IHost? clientEndpoint;

    /// <summary>Gets the orchestration service once started.</summary>
    public IOrchestrationService OrchestrationService => service ?? throw new InvalidOperationException("The durable backend has not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        service = OrchestrationServiceFactory.Create(settings, loggerFactory);

        // The queues, tables and containers must exist before anything (the client included) touches them.
        await service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

        // No worker connects to this endpoint, so it never dispatches: it only answers the client.
        clientEndpoint = ClientEndpointHost.Build(service, (IOrchestrationServiceClient)service, endpoint, loggerFactory);
        try
        {
            await clientEndpoint.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The Durable Task client endpoint could not listen on {endpoint.Address} (port taken?).", ex);
        }

        Log.Started(logger, settings.Backend, settings.TaskHubName, WorkerIdentity.Of(settings));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (clientEndpoint is not null)
        {
            await clientEndpoint.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (clientEndpoint is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            clientEndpoint?.Dispose();
        }

        clientEndpoint = null;
        (service as IDisposable)?.Dispose();
        service = null;
    }

    static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Durable backend {Backend} ready: task hub {TaskHub}, worker {WorkerId}")]
        public static partial void Started(ILogger logger, DurableBackendKind backend, string taskHub, string workerId);
    }
}
