using System.Text.Json.Serialization;
using Fanout.Core.Api;
using Fanout.Durable;

namespace Fanout.Host.Scale;

/// <summary>
/// <c>GET /healthz/worker</c>: which worker of the task hub this host process is and how many lines it ran. With several
/// hosts behind one load balancer each answers for itself; the sum over the hosts is the work done (a line run twice
/// after a crash counts twice). Behind the access key, unlike <c>/healthz</c>, since it names the machine.
/// </summary>
public static class WorkerRoutes
{
    /// <summary>Maps the route and starts counting.</summary>
    public static WebApplication MapWorkerApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var counter = new WorkerLineCounter();
        app.Lifetime.ApplicationStopped.Register(counter.Dispose);
        var startedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        app.MapGet("/healthz/worker", (Microsoft.Extensions.Options.IOptions<DurableBackendOptions> durable) => Results.Json(
            new WorkerReply(new WorkerInfo(
                WorkerIdentity.Of(durable.Value),
                Environment.ProcessId,
                durable.Value.TaskHubName,
                durable.Value.PartitionCount,
                startedAt,
                counter.Succeeded + counter.Failed,
                counter.Succeeded,
                counter.Failed)),
            BatchObjects.Json));
        return app;
    }

    /// <summary>The reply: one <c>worker</c> object.</summary>
    public sealed record WorkerReply([property: JsonPropertyName("worker")] WorkerInfo Worker);

    /// <summary>This host process as a worker of its task hub.</summary>
    public sealed record WorkerInfo(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("process_id")] int ProcessId,
        [property: JsonPropertyName("task_hub")] string TaskHub,
        [property: JsonPropertyName("partition_count")] int PartitionCount,
        [property: JsonPropertyName("started_at")] long StartedAt,
        [property: JsonPropertyName("lines_finished")] long LinesFinished,
        [property: JsonPropertyName("lines_succeeded")] long LinesSucceeded,
        [property: JsonPropertyName("lines_failed")] long LinesFailed);
}
