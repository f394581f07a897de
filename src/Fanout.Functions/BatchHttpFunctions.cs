using Fanout.Core.Api;
using Fanout.Core.Retries;
using Fanout.Core.Watching;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>The HTTP API of API.md: bindings in, <see cref="BatchApi"/> does the work.</summary>
public sealed class BatchHttpFunctions(BatchApi api, BatchRetryApi retries, BatchWatchApi watch)
{
    /// <summary><c>POST /api/batches</c>.</summary>
    [Function("SubmitBatch")]
    public async Task<IActionResult> SubmitAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await api.SubmitAsync(request, client, cancellationToken));

    /// <summary><c>GET /api/batches/{id}</c>.</summary>
    [Function("GetBatch")]
    public async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await api.GetAsync(id, client, cancellationToken));

    /// <summary><c>GET /api/batches/{id}/results</c> (<c>?partial=true</c>: the finished prefix while the batch runs).</summary>
    [Function("GetBatchResults")]
    public async Task<IActionResult> GetResultsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}/results")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(BatchRetryApi.WantsMerged(request.Query)
            ? await retries.GetMergedAsync(id, client, cancellationToken)
            : await watch.ResultsAsync(id, request, client, cancellationToken));

    /// <summary><c>GET /api/batches/{id}/errors</c>.</summary>
    [Function("GetBatchErrors")]
    public async Task<IActionResult> GetErrorsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batches/{id}/errors")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await api.GetOutputAsync(id, errorsOnly: true, client, cancellationToken));

    /// <summary><c>POST /api/batches/{id}/cancel</c>.</summary>
    [Function("CancelBatch")]
    public async Task<IActionResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/cancel")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await api.CancelAsync(id, client, cancellationToken));

    /// <summary><c>POST /api/batches/{id}/retry</c>.</summary>
    [Function("RetryBatch")]
    public async Task<IActionResult> RetryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "batches/{id}/retry")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
        => new ResultAction(await retries.RetryAsync(id, request, client, cancellationToken));
}

/// <summary>Runs a minimal-API <see cref="IResult"/> as an MVC action result, so Core stays free of the Functions SDK.</summary>
internal sealed class ResultAction(IResult result) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context) => Result.ExecuteAsync(context.HttpContext);
}
