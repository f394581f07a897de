using Fanout.Core.Api;
using Fanout.Core.Retries;
using Fanout.Core.Watching;
using Fanout.Http;
using Fanout.Http.Batches;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>The native batch API of API.md: bindings in, Fanout.Http's <see cref="BatchEndpoints"/> (the portable host's too) does the rest.</summary>
public sealed class BatchHttpFunctions(BatchSubmitService submit, BatchService batches, BatchRetryService retries, BatchWatchService watch)
{
    /// <summary><c>POST /api/batches</c>.</summary>
    [Function("SubmitBatch")]
    public async Task<IActionResult> SubmitAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.Batches)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.SubmitAsync(request, submit, client, cancellationToken));

    /// <summary><c>GET /api/batches/{id}</c>.</summary>
    [Function("GetBatch")]
    public async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.Batch)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.GetAsync(id, batches, client, cancellationToken));

    /// <summary><c>GET /api/batches/{id}/results</c> (<c>?partial=true</c>, <c>?merged=true</c>).</summary>
    [Function("GetBatchResults")]
    public async Task<IActionResult> GetResultsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.BatchResults)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.ResultsAsync(id, request, watch, retries, client, cancellationToken));

    /// <summary><c>GET /api/batches/{id}/errors</c>.</summary>
    [Function("GetBatchErrors")]
    public async Task<IActionResult> GetErrorsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.BatchErrors)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.ErrorsAsync(id, batches, client, cancellationToken));

    /// <summary><c>POST /api/batches/{id}/cancel</c>.</summary>
    [Function("CancelBatch")]
    public async Task<IActionResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.BatchCancel)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.CancelAsync(id, batches, client, cancellationToken));

    /// <summary><c>POST /api/batches/{id}/retry</c>.</summary>
    [Function("RetryBatch")]
    public async Task<IActionResult> RetryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.BatchRetry)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await BatchEndpoints.RetryAsync(id, request, retries, client, cancellationToken));
}
