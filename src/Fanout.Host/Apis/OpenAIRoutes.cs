using Fanout.Http;
using Fanout.Http.OpenAI;

namespace Fanout.Host.Apis;

/// <summary>The OpenAI-compatible Files and Batches routes (API.md), under <c>/v1</c> (OpenAI SDKs) and <c>/openai</c> (Azure OpenAI SDKs, with <c>api-version</c>).</summary>
public static class OpenAIRoutes
{
    /// <summary>Maps <c>/v1/files</c>, <c>/v1/batches</c> and the same under <c>/openai</c>: one route group per prefix, the handlers of <see cref="OpenAIHandlers"/>.</summary>
    public static IEndpointRouteBuilder MapOpenAIBatchApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var prefix in Routes.OpenAIPrefixes)
        {
            var group = app.MapGroup("/" + prefix);
            group.MapPost(Routes.OpenAIFiles, OpenAIHandlers.UploadFileAsync);
            group.MapGet(Routes.OpenAIFiles, OpenAIHandlers.ListFilesAsync);
            group.MapGet(Routes.OpenAIFile, OpenAIHandlers.GetFileAsync);
            group.MapGet(Routes.OpenAIFileContent, OpenAIHandlers.GetFileContentAsync);
            group.MapDelete(Routes.OpenAIFile, OpenAIHandlers.DeleteFileAsync);
            group.MapPost(Routes.OpenAIBatches, OpenAIHandlers.CreateBatchAsync);
            group.MapGet(Routes.OpenAIBatches, OpenAIHandlers.ListBatchesAsync);
            group.MapGet(Routes.OpenAIBatch, OpenAIHandlers.GetBatchAsync);
            group.MapPost(Routes.OpenAIBatchCancel, OpenAIHandlers.CancelBatchAsync);
        }

        return app;
    }
}
