using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Fanout.Core.Models;
using Fanout.Core.OpenAICompat;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Functions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Fanout.Tests.Functions.OpenAI;

/// <summary>
/// The OpenAI triggers with their real services over an in-memory blob account, a mocked <see cref="DurableTaskClient"/>
/// and <see cref="DefaultHttpContext"/> requests; runs a trigger's action and reads back status, headers and body.
/// </summary>
internal sealed class OpenAIFunctionsFixture : IDisposable
{
    private readonly ServiceProvider _services;

    public OpenAIFunctionsFixture(Action<BatchOptions>? batch = null)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(new BlobServiceClient(
            new Uri("http://127.0.0.1:1/devstoreaccount1"),
            new BlobClientOptions { Transport = new HttpClientTransport(new HttpClient(Blobs)), Retry = { MaxRetries = 0 } }));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new StorageOptions()));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new OpenAIOptions()));
        var batchOptions = new BatchOptions();
        batch?.Invoke(batchOptions);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(batchOptions));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<BatchStore>();
        services.AddSingleton(Flush.Object);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new SubmitOptions()));
        services.AddSingleton<Fanout.Core.Api.SubmitAdmission>();
        services.AddSingleton<Fanout.Core.Api.BatchStarter>();
        services.AddOpenAICompat();
        _services = services.BuildServiceProvider();
        Functions = new OpenAIHttpFunctions(_services.GetRequiredService<OpenAIFileService>(), _services.GetRequiredService<OpenAIBatchService>());
    }

    public InMemoryBlobHandler Blobs { get; } = new();

    public Mock<IStorageFlush> Flush { get; } = new();

    public Mock<DurableTaskClient> Client { get; } = new("test");

    public OpenAIHttpFunctions Functions { get; }

    /// <summary>A request with <paramref name="body"/>, its Content-Type and query.</summary>
    public HttpRequest Request(string method, byte[]? body = null, string? contentType = null, string? query = null)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(body ?? []);
        context.Request.QueryString = query is null ? QueryString.Empty : new QueryString(query);
        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    /// <summary>Runs a trigger's answer the way the Functions host does and returns status, Content-Type and body.</summary>
    public static async Task<(int Status, string? ContentType, byte[] Body)> RunAsync(HttpRequest request, IActionResult action)
    {
        var context = request.HttpContext;
        await action.ExecuteResultAsync(new ActionContext { HttpContext = context });
        return (context.Response.StatusCode, context.Response.ContentType, ((MemoryStream)context.Response.Body).ToArray());
    }

    /// <summary>A batch's orchestration as the client reports it.</summary>
    public static OrchestrationMetadata Batch(string id, OrchestrationRuntimeStatus status, BatchInput? input = null)
    {
        var converter = JsonDataConverter.Default;
        input ??= new BatchInput(id, "gpt-4o-mini", 4, 1_764_000_000, Prepared: new PreparedBatch(10, 0, 500), Source: new BatchSource("batches-files", "file-abc"));
        return new OrchestrationMetadata("BatchOrchestrator", id)
        {
            DataConverter = converter,
            RuntimeStatus = status,
            SerializedInput = converter.Serialize(input),
            SerializedCustomStatus = converter.Serialize(new BatchProgress(BatchStatus.InProgress, 10, new BatchCounts(Completed: 3), 4)),
            SerializedOutput = status == OrchestrationRuntimeStatus.Completed
                ? converter.Serialize(new BatchResult(BatchStatus.Completed, 10, new BatchCounts(Completed: 10), 1_764_000_100))
                : null,
        };
    }

    public void Dispose() => _services.Dispose();
}
