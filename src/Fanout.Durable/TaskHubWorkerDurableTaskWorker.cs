using Azure.Storage.Blobs;
using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Middleware;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Durable;

/// <summary>
/// Runs our orchestrators and activities on DurableTask.Core's own <see cref="TaskHubWorker"/>, directly on the
/// orchestration service, through the public <see cref="DurableTaskShimFactory"/>. The library's dispatchers fetch,
/// renew locks, keep extended sessions (the orchestration executor stays cached between episodes) and, at a graceful
/// stop, let running work items finish before the service stops and releases its leases. Ours are the poison bound
/// (<see cref="PoisonBound"/>, dispatcher middleware) and, on the in-memory service only, <see cref="MemoryServiceLimits"/>.
/// </summary>
/// <remarks>
/// Registered with <c>UseBuildTarget</c>, so the Durable Task worker builder passes the name and the task factory built
/// from our registry. The orchestration service comes from <see cref="DurableBackendHostedService"/>, which starts
/// first and creates it; this worker starts it (<see cref="TaskHubWorker.StartAsync"/>) and stops it.
/// </remarks>
internal sealed class TaskHubWorkerDurableTaskWorker : DurableTaskWorker
{
    readonly DurableBackendHostedService backend;
    readonly DurableBackendOptions settings;
    readonly IServiceProvider services;
    readonly ILoggerFactory loggerFactory;
    readonly DurableTaskShimFactory shims;
    TaskHubWorker? worker;

    public TaskHubWorkerDurableTaskWorker(
        string? name,
        IDurableTaskFactory factory,
        IOptionsMonitor<DurableTaskWorkerOptions> options,
        IOptions<DurableBackendOptions> settings,
        DurableBackendHostedService backend,
        IServiceProvider services,
        ILoggerFactory loggerFactory)
        : base(name, factory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        this.settings = settings.Value;
        this.backend = backend;
        this.services = services;
        this.loggerFactory = loggerFactory;
        shims = new DurableTaskShimFactory(options.Get(name), loggerFactory);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (worker is not null)
        {
            // Not forced: the dispatchers finish the work items they hold, then the service stops.
            await worker.StopAsync(isForced: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool azureStorage = settings.Backend == DurableBackendKind.AzureStorage;
        IOrchestrationService service = azureStorage
            ? backend.OrchestrationService
            : new MemoryServiceLimits(
                backend.OrchestrationService, OrchestrationServiceFactory.MaxConcurrentActivities(settings), OrchestrationServiceFactory.MaxConcurrentOrchestrations);
        worker = new TaskHubWorker(service, new ShimOrchestrationManager(Factory, services, shims), new ShimActivityManager(), loggerFactory)
        {
            // The shim's orchestrations report failures as FailureDetails, as the gRPC worker does.
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        worker.AddActivityDispatcherMiddleware(RunActivityAsync);
        if (azureStorage && settings.MaxEpisodeAttempts > 0)
        {
            BlobContainerClient journal = new(settings.StorageConnectionString, settings.TaskHubName.ToLowerInvariant() + "-attempts");
            PoisonBound poison = new(journal, settings.MaxEpisodeAttempts, loggerFactory.CreateLogger<PoisonBound>());
            worker.AddOrchestrationDispatcherMiddleware(poison.RunAsync);
        }

        return worker.StartAsync().WaitAsync(stoppingToken);
    }

    /// <summary>Creates the activity in its own DI scope, as the gRPC worker does, and runs it inside that scope.</summary>
    async Task RunActivityAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        TaskScheduledEvent scheduled = context.GetProperty<TaskScheduledEvent>();
        TaskName name = new(scheduled.Name ?? throw new InvalidOperationException("The scheduled activity has no name."));
        if (context.GetProperty<TaskActivity>() is not ShimActivity shim)
        {
            throw new InvalidOperationException($"Activity {name} was not created by {nameof(ShimActivityManager)}.");
        }

        AsyncServiceScope scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            if (!Factory.TryCreateActivity(name, scope.ServiceProvider, out ITaskActivity? activity))
            {
                throw new InvalidOperationException($"No activity named {name} is registered.");
            }

            shim.Inner = shims.CreateActivity(name, activity);
            await next().ConfigureAwait(false);
        }
    }
}
