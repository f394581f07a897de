using Fanout.Core.OpenAICompat;
using Fanout.Http;
using Fanout.Http.OpenAI;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>
/// The OpenAI-compatible Files and Batches surface (API.md): bindings in, <see cref="OpenAIHandlers"/> maps the
/// services' results. Each route serves both prefixes, <c>/api/v1/…</c> (OpenAI SDKs) and <c>/api/openai/…</c> (Azure OpenAI SDKs).
/// </summary>
public sealed class OpenAIHttpFunctions(OpenAIFileService files, OpenAIBatchService batches)
{
    private const string Prefix = Routes.OpenAIPrefixParameter + "/";

    /// <summary><c>POST /v1/files</c>.</summary>
    [Function("OpenAIUploadFile")]
    public async Task<IActionResult> UploadFileAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Prefix + Routes.OpenAIFiles)] HttpRequest request, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.UploadFileAsync(request, files, cancellationToken));

    /// <summary><c>GET /v1/files</c>.</summary>
    [Function("OpenAIListFiles")]
    public async Task<IActionResult> ListFilesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + Routes.OpenAIFiles)] HttpRequest request, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.ListFilesAsync(request, files, cancellationToken));

    /// <summary><c>GET /v1/files/{id}</c>.</summary>
    [Function("OpenAIGetFile")]
    public async Task<IActionResult> GetFileAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + Routes.OpenAIFile)] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.GetFileAsync(id, files, client, cancellationToken));

    /// <summary><c>GET /v1/files/{id}/content</c>.</summary>
    [Function("OpenAIGetFileContent")]
    public async Task<IActionResult> GetFileContentAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + Routes.OpenAIFileContent)] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.GetFileContentAsync(id, files, client, cancellationToken));

    /// <summary><c>DELETE /v1/files/{id}</c>.</summary>
    [Function("OpenAIDeleteFile")]
    public async Task<IActionResult> DeleteFileAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = Prefix + Routes.OpenAIFile)] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.DeleteFileAsync(id, files, client, cancellationToken));

    /// <summary><c>POST /v1/batches</c>.</summary>
    [Function("OpenAICreateBatch")]
    public async Task<IActionResult> CreateBatchAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Prefix + Routes.OpenAIBatches)] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.CreateBatchAsync(request, batches, client, cancellationToken));

    /// <summary><c>GET /v1/batches</c>.</summary>
    [Function("OpenAIListBatches")]
    public async Task<IActionResult> ListBatchesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + Routes.OpenAIBatches)] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.ListBatchesAsync(request, batches, client, cancellationToken));

    /// <summary><c>GET /v1/batches/{id}</c>.</summary>
    [Function("OpenAIGetBatch")]
    public async Task<IActionResult> GetBatchAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Prefix + Routes.OpenAIBatch)] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.GetBatchAsync(id, batches, client, cancellationToken));

    /// <summary><c>POST /v1/batches/{id}/cancel</c>.</summary>
    [Function("OpenAICancelBatch")]
    public async Task<IActionResult> CancelBatchAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Prefix + Routes.OpenAIBatchCancel)] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => new ResultAction(await OpenAIHandlers.CancelBatchAsync(id, batches, client, cancellationToken));
}
