using Fanout.Core.Watching;
using Fanout.Http;
using Fanout.Http.Batches;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>"Watching a batch" of API.md: bindings in, Fanout.Http's <see cref="BatchEndpoints"/> does the rest.</summary>
public sealed class BatchWatchFunctions(BatchWatchService watch)
{
    /// <summary><c>GET /api/batches?limit=N&amp;after=ID</c>.</summary>
    [Function("ListBatches")]
    public async Task<IActionResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.Batches)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.ListAsync(request, watch, client, cancellationToken));

    /// <summary><c>GET /api/batches/{id}/events</c> (server-sent events).</summary>
    [Function("GetBatchEvents")]
    public async Task<IActionResult> EventsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.BatchEvents)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.EventsAsync(id, request, watch, client, cancellationToken));

    /// <summary>
    /// <c>GET /healthz</c>. Functions put every HTTP route under the <c>api</c> prefix, so in Azure this is
    /// <c>/api/healthz</c>; anonymous, like the portable host's (it returns no data).
    /// </summary>
    [Function("Healthz")]
    public async Task<IActionResult> HealthAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Healthz)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.HealthAsync(watch, client, cancellationToken));
}
