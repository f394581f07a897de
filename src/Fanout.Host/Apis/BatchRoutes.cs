using Fanout.Core.Api;
using Fanout.Core.Retries;
using Fanout.Core.Watching;
using Microsoft.DurableTask.Client;

namespace Fanout.Host.Apis;

/// <summary>The HTTP API of API.md on the portable host: the same <see cref="BatchApi"/> the Functions triggers call.</summary>
public static class BatchRoutes
{
    /// <summary>Maps <c>/api/batches</c>.</summary>
    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/batches");
        group.MapPost("", (HttpRequest request, BatchApi api, DurableTaskClient client, CancellationToken ct) => api.SubmitAsync(request, client, ct));
        group.MapGet("{id}", (string id, BatchApi api, DurableTaskClient client, CancellationToken ct) => api.GetAsync(id, client, ct));
        group.MapGet("", (HttpRequest request, BatchWatchApi watch, DurableTaskClient client, CancellationToken ct) => watch.ListAsync(request, client, ct));
        group.MapGet("{id}/results", (string id, HttpRequest request, BatchWatchApi watch, BatchRetryApi retries, DurableTaskClient client, CancellationToken ct)
            => BatchRetryApi.WantsMerged(request.Query) ? retries.GetMergedAsync(id, client, ct) : watch.ResultsAsync(id, request, client, ct));
        group.MapGet("{id}/events", (string id, BatchWatchApi watch, DurableTaskClient client, CancellationToken ct) => watch.EventsAsync(id, client, ct));
        group.MapGet("{id}/errors", (string id, BatchApi api, DurableTaskClient client, CancellationToken ct) => api.GetOutputAsync(id, errorsOnly: true, client, ct));
        group.MapPost("{id}/cancel", (string id, BatchApi api, DurableTaskClient client, CancellationToken ct) => api.CancelAsync(id, client, ct));
        group.MapPost("{id}/retry", (string id, HttpRequest request, BatchRetryApi retries, DurableTaskClient client, CancellationToken ct) => retries.RetryAsync(id, request, client, ct));
        app.MapGet("/healthz", (BatchWatchApi watch, DurableTaskClient client, CancellationToken ct) => watch.HealthAsync(client, ct));
        return app;
    }
}
