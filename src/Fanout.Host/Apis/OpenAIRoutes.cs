using Fanout.Core.OpenAICompat;
using Microsoft.DurableTask.Client;

namespace Fanout.Host.Apis;

/// <summary>The OpenAI-compatible Files and Batches routes (API.md), under <c>/v1</c> (OpenAI SDKs) and <c>/openai</c> (Azure OpenAI SDKs, with <c>api-version</c>).</summary>
public static class OpenAIRoutes
{
    /// <summary>Maps <c>/v1/files</c>, <c>/v1/batches</c> and the same under <c>/openai</c>.</summary>
    public static IEndpointRouteBuilder MapOpenAIBatchApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var prefix in new[] { "/v1", "/openai" })
        {
            var group = app.MapGroup(prefix);
            group.MapPost("/files", (HttpRequest request, OpenAIBatchApi api, CancellationToken ct) => api.UploadFileAsync(request, ct));
            group.MapGet("/files", (HttpRequest request, OpenAIBatchApi api, CancellationToken ct) => api.ListFilesAsync(request, ct));
            group.MapGet("/files/{id}", (string id, OpenAIBatchApi api, DurableTaskClient client, CancellationToken ct) => api.GetFileAsync(id, client, ct));
            group.MapGet("/files/{id}/content", (string id, OpenAIBatchApi api, DurableTaskClient client, CancellationToken ct) => api.GetFileContentAsync(id, client, ct));
            group.MapDelete("/files/{id}", (string id, OpenAIBatchApi api, DurableTaskClient client, CancellationToken ct) => api.DeleteFileAsync(id, client, ct));
            group.MapPost("/batches", (HttpRequest request, OpenAIBatchApi api, DurableTaskClient client, CancellationToken ct) => api.CreateBatchAsync(request, client, ct));
            group.MapGet("/batches", (HttpRequest request, OpenAIBatchApi api, DurableTaskClient client, CancellationToken ct) => api.ListBatchesAsync(request, client, ct));
            group.MapGet("/batches/{id}", (string id, OpenAIBatchApi api, DurableTaskClient client, CancellationToken ct) => api.GetBatchAsync(id, client, ct));
            group.MapPost("/batches/{id}/cancel", (string id, OpenAIBatchApi api, DurableTaskClient client, CancellationToken ct) => api.CancelBatchAsync(id, client, ct));
        }

        return app;
    }
}
