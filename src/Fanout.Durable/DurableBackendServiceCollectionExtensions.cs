using System.Text.RegularExpressions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fanout.Durable;

/// <summary>Registers the portable host's durable backend: orchestration service, TaskHubWorker and client.</summary>
public static partial class DurableBackendServiceCollectionExtensions
{
    const string Key = DurableBackendOptions.SectionName + ":";

    /// <summary>
    /// Binds <see cref="DurableBackendOptions"/> from <c>Fanout:Durable</c> (checked at start, each message naming its
    /// key) and registers the orchestration service (Azure Storage, created if missing, or in memory), a Durable Task
    /// worker running the tasks from <paramref name="configureTasks"/> on <c>TaskHubWorker</c>, and a
    /// <see cref="DurableTaskClient"/>, all started and stopped as hosted services. Call it once, and before any other
    /// hosted service that needs the client at start-up. Derived defaults go on the returned builder (<c>PostConfigure</c>);
    /// with none, <see cref="DurableBackendOptions.MaxConcurrentActivities"/> is 200.
    /// </summary>
    public static OptionsBuilder<DurableBackendOptions> AddFanoutDurableBackend(this IServiceCollection services, Action<DurableTaskRegistry> configureTasks)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configureTasks);
        if (services.Any(d => d.ServiceType == typeof(DurableBackendHostedService)))
        {
            throw new InvalidOperationException($"{nameof(AddFanoutDurableBackend)} was already called on these services.");
        }

        OptionsBuilder<DurableBackendOptions> options = services.AddOptions<DurableBackendOptions>()
            .BindConfiguration(DurableBackendOptions.SectionName)
            .Validate(o => o.Backend == DurableBackendKind.Memory || !string.IsNullOrWhiteSpace(o.StorageConnectionString), Key + "StorageConnectionString (or Fanout:Storage:ConnectionString) is required for the AzureStorage backend.")
            .Validate(o => TaskHubName().IsMatch(o.TaskHubName ?? string.Empty), Key + "TaskHubName must be a task hub name: 3-45 letters or digits, starting with a letter.")
            .Validate(o => o.PartitionCount is >= 1 and <= 16, Key + "PartitionCount must be between 1 and 16.")
            .Validate(o => o.MaxConcurrentActivities is null or (>= 1 and <= 10_000), Key + "MaxConcurrentActivities must be between 1 and 10000.")
            .Validate(o => o.MaxEpisodeAttempts is >= 0 and <= 1_000, Key + "MaxEpisodeAttempts must be between 0 (no bound) and 1000.")
            .ValidateOnStart();

        services.AddSingleton(_ => new ClientEndpoint(null));

        // Hosted services start in registration order and stop in reverse: the service comes before the worker.
        services.AddSingleton<DurableBackendHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<DurableBackendHostedService>());
        services.AddDurableTaskWorker(builder =>
        {
            builder.AddTasks(configureTasks);
            builder.UseBuildTarget<TaskHubWorkerDurableTaskWorker>();
        });

        services.AddDurableTaskClient(builder =>
        {
            builder.UseGrpc();
            builder.RegisterDirectly();
        });
        services.AddOptions<GrpcDurableTaskClientOptions>(Options.DefaultName)
            .Configure<ClientEndpoint>((client, endpoint) => client.Address = endpoint.Address.ToString());
        return options;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,44}$")]
    private static partial Regex TaskHubName();
}
