using System.Text;
using Azure.Storage.Blobs;
using Fanout.Core.Api;
using Fanout.Core.Estimates;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Retries;
using Fanout.Core.Storage;
using Fanout.Core.Watching;
using Fanout.Functions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Fanout.Tests.Functions;

/// <summary>
/// The Functions triggers over a mocked <see cref="DurableTaskClient"/> and real services (storage is never reached:
/// the cases here stop before it, or use a mocked blob). Runs a trigger's action result and the portable host's
/// endpoint (<see cref="Http.Batches.BatchEndpoints"/>, what <c>MapBatchApi</c> maps) on fresh requests.
/// </summary>
internal sealed class TriggerHarness
{
    public const string Deployment = "gpt-4o-mini";

    private static readonly IServiceProvider RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();

    public TriggerHarness(BlobServiceClient? blobs = null)
    {
        var batchOptions = Microsoft.Extensions.Options.Options.Create(new BatchOptions { MaxConcurrencyLimit = 200, MaxBytes = 1024 });
        var openAIOptions = Microsoft.Extensions.Options.Options.Create(new OpenAIOptions { Deployment = Deployment, Endpoint = new Uri("http://127.0.0.1:1/") });
        // No storage server in unit tests: an in-memory Blob REST handler (records of purged batches, lists, probes).
        blobs ??= new BlobServiceClient(
            new Uri("http://127.0.0.1:1/devstoreaccount1"),
            new BlobClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new OpenAI.InMemoryBlobHandler())), Retry = { MaxRetries = 0 } });
        Store = new BatchStore(blobs, Microsoft.Extensions.Options.Options.Create(new StorageOptions()));
        Client = new Mock<DurableTaskClient>("test") { CallBase = true };
        Client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => Instances.GetValueOrDefault(id));
        Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName _, object? input, StartOrchestrationOptions? options, CancellationToken _) =>
            {
                Instances[options!.InstanceId!] = Meta(OrchestrationRuntimeStatus.Pending, (BatchInput)input!);
                return options.InstanceId!;
            });
        Flush = new Mock<IStorageFlush>();
        var submitOptions = Microsoft.Extensions.Options.Options.Create(new SubmitOptions());
        Admission = new SubmitAdmission(submitOptions);
        Starter = new BatchStarter(Store, batchOptions, openAIOptions, TimeProvider.System, Flush.Object, submitOptions, NullLogger<BatchStarter>.Instance);
        var rules = new SubmitRules(batchOptions);
        var estimator = new BatchEstimator(Estimates.TestEstimateSettings.From(), batchOptions);
        Submit = new BatchSubmitService(Starter, new BatchPreparer(Store, batchOptions), Store, rules, estimator, batchOptions, Admission, NullLogger<BatchSubmitService>.Instance);
        Batches = new BatchService(Store);
        Retries = new BatchRetryService(Starter, Store, batchOptions, Admission, NullLogger<BatchRetryService>.Instance);
        Watch = new BatchWatchService(Batches, Store, new BatchWatchHub(Store, TimeProvider.System, NullLogger<BatchWatchHub>.Instance), new EventStreamLimiter(Microsoft.Extensions.Options.Options.Create(new EventStreamOptions())), TimeProvider.System, NullLogger<BatchWatchService>.Instance);
        BlobDrops = new BlobDropStarter(Store, Starter, NullLogger<BlobDropStarter>.Instance);
        Http = new BatchHttpFunctions(Submit, Batches, Retries, Watch);
        WatchFunctions = new BatchWatchFunctions(Watch);
        Durable = new DurableFunctions(null!, null!, BlobDrops, null!);
    }

    /// <summary>The orchestrations the mocked client knows, by id.</summary>
    public Dictionary<string, OrchestrationMetadata> Instances { get; } = new(StringComparer.Ordinal);

    public Mock<DurableTaskClient> Client { get; }

    public Mock<IStorageFlush> Flush { get; }

    public SubmitAdmission Admission { get; }

    public BatchStore Store { get; }

    public BatchStarter Starter { get; }

    public BatchSubmitService Submit { get; }

    public BatchService Batches { get; }

    public BatchRetryService Retries { get; }

    public BatchWatchService Watch { get; }

    public BlobDropStarter BlobDrops { get; }

    public BatchHttpFunctions Http { get; }

    public BatchWatchFunctions WatchFunctions { get; }

    public DurableFunctions Durable { get; }

    /// <summary>An orchestration of a batch of <paramref name="input"/> in <paramref name="status"/>.</summary>
    public static OrchestrationMetadata Meta(OrchestrationRuntimeStatus status, BatchInput input, BatchResult? result = null)
    {
        var converter = JsonDataConverter.Default;
        return new OrchestrationMetadata("BatchOrchestrator", input.BatchId)
        {
            DataConverter = converter,
            RuntimeStatus = status,
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(input.CreatedAt),
            SerializedInput = converter.Serialize(input),
            SerializedOutput = result is null ? null : converter.Serialize(result),
        };
    }

    /// <summary>Adds a batch the client knows.</summary>
    public BatchInput AddBatch(string id, OrchestrationRuntimeStatus status, BatchResult? result = null, long createdAt = 1_764_000_000, RetrySource? retry = null)
    {
        var input = new BatchInput(id, Deployment, 4, createdAt, Prepared: new PreparedBatch(3, 0, 500), Retry: retry);
        Instances[id] = Meta(status, input, result);
        return input;
    }

    /// <summary>A request with a body, a Content-Type, a query and headers.</summary>
    public static HttpRequest Request(string method = "GET", string? body = null, string? contentType = null, string query = "", params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext { RequestServices = RequestServices };
        context.Request.Method = method;
        context.Request.QueryString = new QueryString(query);
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
        }

        context.Request.ContentType = contentType;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    /// <summary>Runs a trigger's action result on its request's response.</summary>
    public static Task<Answer> RunAsync(IActionResult action, HttpRequest request)
        => ReadAsync(request.HttpContext, action.ExecuteResultAsync(new ActionContext(request.HttpContext, new RouteData(), new ActionDescriptor())));

    /// <summary>Runs the portable host's endpoint result on its request's response.</summary>
    public static Task<Answer> RunAsync(IResult result, HttpRequest request)
        => ReadAsync(request.HttpContext, result.ExecuteAsync(request.HttpContext));

    private static async Task<Answer> ReadAsync(HttpContext context, Task execution)
    {
        await execution;
        var headers = context.Response.Headers
            .Where(h => h.Key is not "Content-Length")
            .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        return new Answer(context.Response.StatusCode, context.Response.ContentType, headers, Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()));
    }
}

/// <summary>What a response was: status, Content-Type, headers, body.</summary>
internal sealed record Answer(int Status, string? ContentType, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>True when <paramref name="other"/> has the same status, Content-Type, headers and body.</summary>
    public bool SameAs(Answer other)
        => Status == other.Status && ContentType == other.ContentType && Timeless(Body) == Timeless(other.Body)
            && Headers.Count == other.Headers.Count && Headers.All(h => other.Headers.TryGetValue(h.Key, out var v) && v == h.Value);

    // A running batch's progress.window_seconds is measured at each call: two calls a few milliseconds apart may differ.
    private static string Timeless(string body) => System.Text.RegularExpressions.Regex.Replace(body, "\"window_seconds\":[0-9.]+", "\"window_seconds\":_");
}
