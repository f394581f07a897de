using Fanout.Core.OpenAICompat;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>
/// The OpenAI-compatible Files and Batches surface (API.md): bindings in, <see cref="OpenAIBatchApi"/> does the work.
/// Each route serves both prefixes, <c>/api/v1/…</c> (OpenAI SDKs) and <c>/api/openai/…</c> (Azure OpenAI SDKs).
/// </summary>
public sealed class OpenAIHttpFunctions(OpenAIBatchApi api)
{
    private const string Prefix = "{prefix:regex(^(v1|openai)$)}";

    /// <summary><c>POST /v1/files</c>.</summary>
    [Function("OpenAIUploadFile")]
    public async Task<IActionResult> UploadFileAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Prefix + "/files")] HttpRequest request, CancellationToken cancellationToken)
        => new ResultAction(await api.UploadFileAsync(request, cancellationToken));

    /// <summary><c>GET /v1/files</c>.</summary>
    [Function("OpenAIListFiles")]
    public async Task<IActionResult> ListFilesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + "/files")] HttpRequest request, CancellationToken cancellationToken)
        => new ResultAction(await api.ListFilesAsync(request, cancellationToken));

    /// <summary><c>GET /v1/files/{id}</c>.</summary>
    [Function("OpenAIGetFile")]
    public async Task<IActionResult> GetFileAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + "/files/{id}")] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await api.GetFileAsync(id, client, cancellationToken));

    /// <summary><c>GET /v1/files/{id}/content</c>.</summary>
    [Function("OpenAIGetFileContent")]
    public async Task<IActionResult> GetFileContentAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + "/files/{id}/content")] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await api.GetFileContentAsync(id, client, cancellationToken));

    /// <summary><c>DELETE /v1/files/{id}</c>.</summary>
    [Function("OpenAIDeleteFile")]
    public async Task<IActionResult> DeleteFileAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = Prefix + "/files/{id}")] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await api.DeleteFileAsync(id, client, cancellationToken));

    /// <summary><c>POST /v1/batches</c>.</summary>
    [Function("OpenAICreateBatch")]
    public async Task<IActionResult> CreateBatchAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Prefix + "/batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await api.CreateBatchAsync(request, client, cancellationToken));

    /// <summary><c>GET /v1/batches</c>.</summary>
    [Function("OpenAIListBatches")]
    public async Task<IActionResult> ListBatchesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + "/batches")] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await api.ListBatchesAsync(request, client, cancellationToken));

    /// <summary><c>GET /v1/batches/{id}</c>.</summary>
    [Function("OpenAIGetBatch")]
    public async Task<IActionResult> GetBatchAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + "/batches/{id}")] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await api.GetBatchAsync(id, client, cancellationToken));

    /// <summary><c>POST /v1/batches/{id}/cancel</c>.</summary>
    [Function("OpenAICancelBatch")]
    public async Task<IActionResult> CancelBatchAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Prefix + "/batches/{id}/cancel")] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await api.CancelBatchAsync(id, client, cancellationToken));
}
