using Fanout.Core.OpenAICompat;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;

namespace Fanout.Http.OpenAI;

/// <summary>
/// The OpenAI-compatible Files and Batches routes (API.md) over HTTP, written once: the portable host maps these
/// handlers in a route group, the Functions triggers call them. Each reads the request into the service's input
/// and answers with the service's value (JSON, a streamed body) or its error.
/// </summary>
public static class OpenAIHandlers
{
    /// <summary><c>POST /v1/files</c>.</summary>
    public static async Task<IResult> UploadFileAsync(HttpRequest request, OpenAIFileService files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        return ContentEncodings.Check(request) is { } encoding
            ? ErrorResults.ToResult(encoding)
            : (await files.UploadAsync(OpenAIRequestInputs.Upload(request), cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>GET /v1/files</c>.</summary>
    public static async Task<IResult> ListFilesAsync(HttpRequest request, OpenAIFileService files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        return (await files.ListAsync(RequestInputs.Query(request), cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>GET /v1/files/{id}</c>.</summary>
    public static async Task<IResult> GetFileAsync(string id, OpenAIFileService files, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        return (await files.GetAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>GET /v1/files/{id}/content</c>.</summary>
    public static async Task<IResult> GetFileContentAsync(string id, OpenAIFileService files, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        return (await files.GetContentAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp(ServiceResults.Content);
    }

    /// <summary><c>DELETE /v1/files/{id}</c>.</summary>
    public static async Task<IResult> DeleteFileAsync(string id, OpenAIFileService files, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        return (await files.DeleteAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>POST /v1/batches</c>.</summary>
    public static async Task<IResult> CreateBatchAsync(HttpRequest request, OpenAIBatchService batches, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return ContentEncodings.Check(request) is { } encoding
            ? ErrorResults.ToResult(encoding)
            : (await batches.CreateAsync(OpenAIRequestInputs.JsonBody(request), client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>GET /v1/batches</c>.</summary>
    public static async Task<IResult> ListBatchesAsync(HttpRequest request, OpenAIBatchService batches, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return (await batches.ListAsync(RequestInputs.Query(request), client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>GET /v1/batches/{id}</c>.</summary>
    public static async Task<IResult> GetBatchAsync(string id, OpenAIBatchService batches, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return (await batches.GetAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>POST /v1/batches/{id}/cancel</c>.</summary>
    public static async Task<IResult> CancelBatchAsync(string id, OpenAIBatchService batches, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return (await batches.CancelAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }
}
