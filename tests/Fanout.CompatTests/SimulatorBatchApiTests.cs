using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using Xunit;

namespace Fanout.CompatTests;

/// <summary>
/// The simulator's Batch API (a <c>Kind=batch</c> deployment) through the official OpenAI .NET SDK's file and batch
/// clients, as Fanout's upstream client will call Azure Global Batch: files in, a batch, output out of order, failures,
/// cancel keeping the finished lines, and the enqueued-token limit's Azure error.
/// </summary>
public sealed class SimulatorBatchApiTests
{
    private const string Deployment = "gpt-4o-mini-batch";

    [Fact]
    public async Task A_batch_completes_after_its_turnaround_with_every_line_answered_out_of_input_order()
    {
        await using var simulator = await StartAsync(turnaroundSeconds: 1);
        var (files, batches) = Clients(simulator);
        var file = await UploadAsync(files, 30);

        var created = await CreateAsync(batches, file.Id);
        Assert.Equal("in_progress", created.GetProperty("status").GetString());
        var done = await WaitAsync(batches, created.GetProperty("id").GetString()!);

        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(30, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(JsonValueKind.Null, done.GetProperty("error_file_id").ValueKind);
        var lines = await ReadLinesAsync(files, done.GetProperty("output_file_id").GetString()!);
        var ids = lines.Select(l => l.GetProperty("custom_id").GetString()!).ToList();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"q-{i}").Order(), ids.Order());
        Assert.NotEqual(Enumerable.Range(0, 30).Select(i => $"q-{i}"), ids);
        var first = lines.Single(l => l.GetProperty("custom_id").GetString() == "q-3").GetProperty("response");
        Assert.Equal(200, first.GetProperty("status_code").GetInt32());
        Assert.Equal(SimulatorResponder.ContentFor("Question 3"), first.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(1, simulator.BatchFileUploads);
    }

    [Fact]
    public async Task Failed_lines_go_to_the_error_file()
    {
        await using var simulator = await StartAsync(turnaroundSeconds: 0.5, failureRate: 1);
        var (files, batches) = Clients(simulator);
        var file = await UploadAsync(files, 5);

        var done = await WaitAsync(batches, (await CreateAsync(batches, file.Id)).GetProperty("id").GetString()!);

        Assert.Equal(5, done.GetProperty("request_counts").GetProperty("failed").GetInt32());
        Assert.Equal(JsonValueKind.Null, done.GetProperty("output_file_id").ValueKind);
        var errors = await ReadLinesAsync(files, done.GetProperty("error_file_id").GetString()!);
        Assert.Equal(5, errors.Count);
        Assert.All(errors, e => Assert.Equal(500, e.GetProperty("response").GetProperty("status_code").GetInt32()));
    }

    [Fact]
    public async Task A_cancel_keeps_the_lines_finished_before_it()
    {
        await using var simulator = await StartAsync(turnaroundSeconds: 20);
        var (files, batches) = Clients(simulator);
        var file = await UploadAsync(files, 200);
        var id = (await CreateAsync(batches, file.Id)).GetProperty("id").GetString()!;

        // Wait for the first lines to finish (one every 0.1 s), then cancel.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((await GetAsync(batches, id)).GetProperty("request_counts").GetProperty("completed").GetInt32() == 0)
        {
            await Task.Delay(50, timeout.Token);
        }

        var operation = await CreateBatchOperation.RehydrateAsync(batches, id);
        var cancelling = Parse((await operation.CancelAsync(new RequestOptions())).GetRawResponse().Content);
        Assert.Equal("cancelling", cancelling.GetProperty("status").GetString());
        var cancelled = await WaitAsync(batches, id);

        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        var kept = cancelled.GetProperty("request_counts").GetProperty("completed").GetInt32();
        Assert.InRange(kept, 1, 199);
        Assert.Equal(kept, (await ReadLinesAsync(files, cancelled.GetProperty("output_file_id").GetString()!)).Count);
    }

    [Fact]
    public async Task Over_the_enqueued_token_limit_a_new_batch_fails_with_azures_token_limit_exceeded()
    {
        await using var simulator = await StartAsync(turnaroundSeconds: 60, enqueuedTokenLimit: 3_000);
        var (files, batches) = Clients(simulator);

        // Each line holds its prompt's tokens and its max_tokens (100) while unfinished: 20 lines fit, 40 do not.
        var first = await CreateAsync(batches, (await UploadAsync(files, 20)).Id);
        var second = await CreateAsync(batches, (await UploadAsync(files, 20)).Id);

        Assert.Equal("in_progress", first.GetProperty("status").GetString());
        Assert.Equal("failed", second.GetProperty("status").GetString());
        var error = second.GetProperty("errors").GetProperty("data")[0];
        Assert.Equal("token_limit_exceeded", error.GetProperty("code").GetString());
        Assert.StartsWith("The number of enqueued tokens has surpassed the configured limit of 3000 for the deployment 'gpt-4o-mini-batch'.", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static Task<SimulatorServer> StartAsync(double turnaroundSeconds, double failureRate = 0, long enqueuedTokenLimit = 0)
        => SimulatorServer.StartAsync(new SimulatorOptions
        {
            LatencyMs = 1,
            Deployments = new Dictionary<string, SimulatorDeploymentOptions>(StringComparer.OrdinalIgnoreCase)
            {
                [Deployment] = new() { Kind = "batch", TurnaroundSeconds = turnaroundSeconds, BatchFailureRate = failureRate, EnqueuedTokenLimit = enqueuedTokenLimit },
            },
        });

    private static (OpenAIFileClient Files, BatchClient Batches) Clients(SimulatorServer simulator)
    {
        var client = new OpenAIClient(new ApiKeyCredential("simulator"), new OpenAIClientOptions { Endpoint = new Uri(simulator.BaseUri, "/v1") });
        return (client.GetOpenAIFileClient(), client.GetBatchClient());
    }

    private static async Task<OpenAIFile> UploadAsync(OpenAIFileClient files, int lines)
    {
        var text = string.Concat(Enumerable.Range(0, lines).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"q-{i}",
            method = "POST",
            url = "/chat/completions",
            body = new { model = Deployment, messages = new[] { new { role = "user", content = $"Question {i}" } }, max_tokens = 100 },
        }) + "\n"));
        return (await files.UploadFileAsync(BinaryData.FromString(text), "upstream.jsonl", FileUploadPurpose.Batch)).Value;
    }

    private static async Task<JsonElement> CreateAsync(BatchClient batches, string fileId)
    {
        var body = new { input_file_id = fileId, endpoint = "/chat/completions", completion_window = "24h" };
        var operation = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromObjectAsJson(body)), waitUntilCompleted: false);
        return Parse(operation.GetRawResponse().Content);
    }

    private static async Task<JsonElement> GetAsync(BatchClient batches, string id)
        => Parse((await batches.GetBatchAsync(id, new RequestOptions())).GetRawResponse().Content);

    private static async Task<JsonElement> WaitAsync(BatchClient batches, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var batch = await GetAsync(batches, id);
            if (batch.GetProperty("status").GetString() is "completed" or "failed" or "cancelled" or "expired")
            {
                return batch;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private static async Task<List<JsonElement>> ReadLinesAsync(OpenAIFileClient files, string fileId)
    {
        var content = (await files.DownloadFileAsync(fileId)).Value.ToString();
        return [.. content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static JsonElement Parse(BinaryData content) => JsonDocument.Parse(content).RootElement.Clone();
}
