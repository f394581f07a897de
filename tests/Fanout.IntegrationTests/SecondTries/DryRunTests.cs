using System.Net;
using System.Net.Http.Json;
using System.Text;
using Azure.Storage.Blobs;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;

namespace Fanout.IntegrationTests.SecondTries;

/// <summary><c>POST /api/batches?dryRun=true</c> on the portable host as a process, on Azurite.</summary>
public sealed class DryRunTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    // One user message costs 3 + 1 ("user") + its text + 3; the texts' counts are tiktoken's (Fanout.Tests token-fixture.json).
    private static readonly byte[] Input = Encoding.UTF8.GetBytes(string.Join("\n",
        """{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 100}}""",
        """{"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "Hello, world!"}], "max_completion_tokens": 50}}""",
        """{"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": "lots"}}""",
        """{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "again"}]}}""",
        """{"custom_id": "d", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "tiktoken is great!"}], "max_tokens": 10}}""") + "\n");

    [Fact]
    public async Task A_dry_run_counts_prices_and_times_the_batch_reports_bad_lines_as_a_submit_does_and_stores_nothing()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        var settings = SecondTryHost.Settings(azurite.ConnectionString, simulator, "Dry", new Dictionary<string, string>
        {
            ["Fanout:Pricing:gpt-4o-mini:InputPerMillion"] = "0.15",
            ["Fanout:Pricing:gpt-4o-mini:OutputPerMillion"] = "0.6",
            ["Fanout:OpenAI:Pool:0:Deployment"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:0:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:Pool:0:ApiKey"] = "simulator",
            ["Fanout:OpenAI:Pool:0:TokensPerMinute"] = "600",
            ["Fanout:OpenAI:Pool:1:Model"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:1:Deployment"] = "second",
            ["Fanout:OpenAI:Pool:1:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:Pool:1:ApiKey"] = "simulator",
            ["Fanout:OpenAI:Pool:1:TokensPerMinute"] = "600",
        });
        await using var host = await HostProcess.StartAsync(settings);
        var blobs = new BlobServiceClient(azurite.ConnectionString);
        var before = await SnapshotAsync(blobs);
        var requestsBefore = simulator.Stats.Requests;

        using var dry = await SecondTryHost.PostJsonlAsync(host.Http, "/api/batches?dryRun=true&maxConcurrency=4", Input, idempotencyKey: "dry-" + Guid.NewGuid());
        using var dryJson = await host.Http.PostAsJsonAsync("/api/batches?dryRun=true", new { prompts = new[] { "Hello", "Hello, world!" }, deployment = "unpriced-model" });

        Assert.Equal(HttpStatusCode.OK, dry.StatusCode);
        var estimate = await SecondTryHost.JsonAsync(dry);
        Assert.Equal("batch_estimate", estimate.GetProperty("object").GetString());
        Assert.Equal(5, estimate.GetProperty("lines").GetInt32());
        Assert.Equal(2, estimate.GetProperty("invalid").GetInt32());
        Assert.Equal(8 + 11 + 13, estimate.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(100 + 50 + 10, estimate.GetProperty("max_completion_tokens").GetInt64());
        var cost = estimate.GetProperty("estimated_cost");
        Assert.Equal("USD", cost.GetProperty("currency").GetString());
        Assert.Equal(0.0000048m, cost.GetProperty("low").GetDecimal()); // 32 × 0.15 / 1e6
        Assert.Equal(0.0001008m, cost.GetProperty("high").GetDecimal()); // + 160 × 0.6 / 1e6
        Assert.Equal(Math.Round((32 + 160) * 60.0 / 1200, 1), estimate.GetProperty("estimated_seconds_at_quota").GetDouble());

        Assert.Equal(HttpStatusCode.OK, dryJson.StatusCode);
        var fromPrompts = await SecondTryHost.JsonAsync(dryJson);
        Assert.Equal(2, fromPrompts.GetProperty("lines").GetInt32());
        Assert.Equal(8 + 11, fromPrompts.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(2 * 4096, fromPrompts.GetProperty("max_completion_tokens").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fromPrompts.GetProperty("estimated_cost").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fromPrompts.GetProperty("estimated_seconds_at_quota").ValueKind);

        // Nothing stored, nothing called.
        Assert.Equal(before, await SnapshotAsync(blobs));
        Assert.Equal(requestsBefore, simulator.Stats.Requests);

        // The same input submitted for real: its error lines are the dry run's line errors, word for word.
        using var submit = await SecondTryHost.PostJsonlAsync(host.Http, "/api/batches", Input);
        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        var id = (await SecondTryHost.JsonAsync(submit)).GetProperty("id").GetString()!;
        await SecondTryHost.WaitAsync(host, id);
        var output = SecondTryHost.Lines(await host.Http.GetByteArrayAsync($"/api/batches/{id}/results"));
        var lineErrors = estimate.GetProperty("line_errors").EnumerateArray().ToList();
        Assert.Equal([2, 3], lineErrors.Select(e => e.GetProperty("index").GetInt32()));
        foreach (var e in lineErrors)
        {
            var line = output[e.GetProperty("index").GetInt32()];
            Assert.Equal(line.GetProperty("custom_id").GetString(), e.GetProperty("custom_id").GetString());
            Assert.Equal(line.GetProperty("error").GetRawText(), e.GetProperty("error").GetRawText());
        }
    }

    [Fact]
    public async Task A_dry_run_rejects_a_bad_call_as_a_submit_does()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions());
        await using var host = await HostProcess.StartAsync(SecondTryHost.Settings(azurite.ConnectionString, simulator, "DryBad"));
        (string Path, string ContentType, string Code, HttpStatusCode Status)[] cases =
        [
            ("/api/batches?dryRun=maybe", "application/jsonl", "invalid_parameter", HttpStatusCode.BadRequest),
            ("/api/batches?dryRun=true&maxConcurrency=0", "application/jsonl", "invalid_parameter", HttpStatusCode.BadRequest),
            ("/api/batches?dryRun=true&maxTotalTokens=-5", "application/jsonl", "invalid_parameter", HttpStatusCode.BadRequest),
            ("/api/batches?dryRun=true", "text/plain", "unsupported_media_type", HttpStatusCode.UnsupportedMediaType),
        ];

        foreach (var (path, contentType, code, status) in cases)
        {
            var content = new ByteArrayContent(Input);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            using var response = await host.Http.PostAsync(path, content);

            Assert.Equal(status, response.StatusCode);
            Assert.Equal(code, (await SecondTryHost.JsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
        }

        using var empty = await SecondTryHost.PostJsonlAsync(host.Http, "/api/batches?dryRun=true", "\n\n"u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("empty_batch", (await SecondTryHost.JsonAsync(empty)).GetProperty("error").GetProperty("code").GetString());
    }

    private static async Task<List<string>> SnapshotAsync(BlobServiceClient blobs)
    {
        var items = new List<string>();
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            items.Add(container.Name);
            if (container.Name.StartsWith("in-", StringComparison.Ordinal) || container.Name.StartsWith("out-", StringComparison.Ordinal) || container.Name.StartsWith("work-", StringComparison.Ordinal))
            {
                await foreach (var blob in blobs.GetBlobContainerClient(container.Name).GetBlobsAsync())
                {
                    items.Add($"{container.Name}/{blob.Name} {blob.Properties.ETag}");
                }
            }
        }

        return items;
    }
}
