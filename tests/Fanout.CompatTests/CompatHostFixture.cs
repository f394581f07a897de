using System.ClientModel;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using Xunit;

namespace Fanout.CompatTests;

/// <summary>
/// Azurite + the simulator in the test process + the portable host as its own process with an access key, and the
/// official OpenAI SDK clients pointed at it (<c>Endpoint = http://HOST/v1</c>, the key as the API key).
/// </summary>
public class CompatHostFixture : IAsyncLifetime
{
    /// <summary>Largest file the host accepts.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Most lines the host accepts in a file.</summary>
    public const int MaxLines = 100;

    private readonly AzuriteFixture _azurite = new();

    /// <summary>The host's access key.</summary>
    public string ApiKey { get; } = "fk-" + Guid.NewGuid().ToString("N");

    /// <summary>The running host.</summary>
    public HostProcess Host { get; private set; } = null!;

    /// <summary>The simulator the host calls (tests may change its options, then put them back).</summary>
    public SimulatorServer Simulator { get; private set; } = null!;

    /// <summary>An HTTP client that sends the key as <c>api-key</c>.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The OpenAI SDK's file client.</summary>
    public OpenAIFileClient Files { get; private set; } = null!;

    /// <summary>The OpenAI SDK's batch client.</summary>
    public BatchClient Batches { get; private set; } = null!;

    /// <summary>The host's task hub.</summary>
    public string TaskHub { get; } = AzuriteFixture.UniqueTaskHubName("Compat");

    /// <summary>The Azurite the host stores in.</summary>
    public string StorageConnectionString => _azurite.ConnectionString;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        Simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = _azurite.ConnectionString,
            ["Fanout:Storage:InputContainer"] = AzuriteFixture.UniqueContainerName("in"),
            ["Fanout:Storage:OutputContainer"] = AzuriteFixture.UniqueContainerName("out"),
            ["Fanout:Storage:WorkContainer"] = AzuriteFixture.UniqueContainerName("work"),
            ["Fanout:Storage:FilesContainer"] = AzuriteFixture.UniqueContainerName("files"),
            ["Fanout:Durable:TaskHubName"] = TaskHub,
            ["Fanout:OpenAI:Endpoint"] = Simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Host:WatchBlobs"] = "false",
            ["Fanout:Host:ApiKey"] = ApiKey,
            ["Fanout:Batch:MaxBytes"] = Text(MaxBytes),
            ["Fanout:Batch:MaxLines"] = Text(MaxLines),
            ["Logging:LogLevel:Default"] = "Information",
        };
        Configure(settings);
        Host = await HostProcess.StartAsync(settings);
        Http = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Add("api-key", ApiKey);
        var client = new OpenAIClient(new ApiKeyCredential(ApiKey), new OpenAIClientOptions { Endpoint = new Uri(Host.BaseAddress, "/v1") });
        Files = client.GetOpenAIFileClient();
        Batches = client.GetBatchClient();
    }

    /// <summary>Changes the host's settings before it starts (a fixture of its own for a test class that needs them).</summary>
    protected virtual void Configure(IDictionary<string, string> settings)
    {
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        if (Simulator is not null)
        {
            await Simulator.DisposeAsync();
        }

        await _azurite.DisposeAsync();
    }

    /// <summary>Uploads JSONL lines with the SDK (purpose batch).</summary>
    public async Task<OpenAIFile> UploadAsync(IEnumerable<string> lines, string name = "input.jsonl")
    {
        var text = string.Concat(lines.Select(l => l + "\n"));
        return (await Files.UploadFileAsync(BinaryData.FromString(text), name, FileUploadPurpose.Batch)).Value;
    }

    /// <summary>Creates a batch with the SDK's protocol method; returns its JSON.</summary>
    public async Task<JsonElement> CreateBatchAsync(string fileId, string endpoint = "/v1/chat/completions", object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["input_file_id"] = fileId, ["endpoint"] = endpoint, ["completion_window"] = "24h" };
        if (extra is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                body[p.Name] = p.Value;
            }
        }

        var operation = await Batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromObjectAsJson(body)), waitUntilCompleted: false);
        return Parse(operation.GetRawResponse().Content);
    }

    /// <summary>The batch's JSON through the SDK.</summary>
    public async Task<JsonElement> GetBatchAsync(string id)
        => Parse((await Batches.GetBatchAsync(id, new System.ClientModel.Primitives.RequestOptions())).GetRawResponse().Content);

    /// <summary>Polls until the batch has a final status; returns the statuses seen, in order, and the last object.</summary>
    public async Task<(List<string> Seen, JsonElement Batch)> WaitAsync(string id, Func<string, Task<JsonElement>>? get = null)
    {
        get ??= GetBatchAsync;
        var seen = new List<string>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var batch = await get(id);
            var status = batch.GetProperty("status").GetString()!;
            if (seen.Count == 0 || seen[^1] != status)
            {
                seen.Add(status);
            }

            if (status is "completed" or "failed" or "cancelled" or "expired")
            {
                return (seen, batch);
            }

            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} still {status} after 2 minutes; saw {string.Join(" → ", seen)}.\n{Host.Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>A file's lines through the SDK, parsed.</summary>
    public async Task<List<JsonElement>> DownloadLinesAsync(string fileId)
        => Lines((await Files.DownloadFileAsync(fileId)).Value.ToString());

    /// <summary>Parses JSON Lines.</summary>
    public static List<JsonElement> Lines(string text)
        => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>Parses one JSON value.</summary>
    public static JsonElement Parse(BinaryData data) => JsonDocument.Parse(data.ToMemory()).RootElement.Clone();

    /// <summary>A chat completions input line.</summary>
    public static string ChatLine(string customId, string prompt, string url = "/v1/chat/completions")
        => JsonSerializer.Serialize(new { custom_id = customId, method = "POST", url, body = new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = prompt } }, max_tokens = 32 } });

    /// <summary>An embeddings input line.</summary>
    public static string EmbeddingLine(string customId, string input)
        => JsonSerializer.Serialize(new { custom_id = customId, method = "POST", url = "/v1/embeddings", body = new { model = "text-embedding-3-small", input } });

    /// <summary>A multipart upload body as the SDKs send it.</summary>
    public static MultipartFormDataContent Multipart(string text, string purpose = "batch", string name = "input.jsonl")
    {
        var content = new MultipartFormDataContent
        {
            { new StringContent(purpose), "purpose" },
        };
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        content.Add(file, "file", name);
        return content;
    }

    /// <summary>Invariant integer text.</summary>
    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
