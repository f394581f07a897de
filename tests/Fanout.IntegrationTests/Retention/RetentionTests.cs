using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.Core.Options;
using Fanout.Core.Retention;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Retention;

/// <summary>
/// History retention (<c>Fanout:Durable:HistoryRetention</c>): a finished batch's orchestration rows (batch and chunks)
/// and work blobs are purged, and its object, results and errors are still served from the output container.
/// </summary>
public sealed class RetentionTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Lines = 1000;

    private const int ServedLines = 500;

    [Fact]
    public async Task Retention_0_leaves_no_history_rows_and_the_batch_is_still_served()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        var hub = AzuriteFixture.UniqueTaskHubName("Ret");
        var work = AzuriteFixture.UniqueContainerName("work");
        var outputContainer = AzuriteFixture.UniqueContainerName("out");
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Fanout:Storage:InputContainer"] = AzuriteFixture.UniqueContainerName("in"),
            ["Fanout:Storage:OutputContainer"] = outputContainer,
            ["Fanout:Storage:WorkContainer"] = work,
            ["Fanout:Durable:TaskHubName"] = hub,
            ["Fanout:Durable:HistoryRetention"] = "00:00:00",
            ["Fanout:Durable:HistoryPurgeInterval"] = "00:00:01",
            ["Fanout:Batch:ChunkSize"] = "100",
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
        });
        var http = host.Http;

        using var content = new ByteArrayContent(FanoutTestApp.Jsonl(ServedLines));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var submitted = await http.PostAsync("/api/batches?maxConcurrency=50", content);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await ReadJsonAsync(submitted)).GetProperty("id").GetString()!;

        // Finished, then purged: no row of the batch or of its 5 chunk orchestrations is left, nor a work blob.
        var deadline = DateTime.UtcNow.AddMinutes(3);
        StorageFootprint left;
        while (true)
        {
            left = await StorageFootprint.MeasureAsync(azurite.ConnectionString, hub, id, work, outputContainer);
            if (left.Rows == 0 && left.WorkBytes == 0 && left.OutputBytes > 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the batch was not purged within 3 minutes: {left}\n{host.Output}");
            await Task.Delay(500);
        }

        output.WriteLine($"after the purge, per 1,000 lines: {left.Per1000(ServedLines)}");

        // Its object, results, errors, the list, and cancel (finished) still answer as before the purge.
        using var get = await http.GetAsync($"/api/batches/{id}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var batch = await ReadJsonAsync(get);
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(ServedLines, batch.GetProperty("request_counts").GetProperty("total").GetInt32());
        Assert.Equal(ServedLines, batch.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.True(batch.GetProperty("usage").GetProperty("total_tokens").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, batch.GetProperty("completed_at").ValueKind);
        Assert.Equal(50, batch.GetProperty("max_concurrency").GetInt32());

        using var results = await http.GetAsync($"/api/batches/{id}/results");
        Assert.Equal(HttpStatusCode.OK, results.StatusCode);
        var lines = (await results.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, ServedLines).Select(i => $"p-{i}"), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));

        using var partial = await http.GetAsync($"/api/batches/{id}/results?partial=true");
        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.Equal(lines.Length, (await partial.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        using var errors = await http.GetAsync($"/api/batches/{id}/errors");
        Assert.Equal(HttpStatusCode.OK, errors.StatusCode);
        Assert.Equal(string.Empty, await errors.Content.ReadAsStringAsync());

        using var list = await http.GetAsync("/api/batches?limit=100");
        var listed = (await ReadJsonAsync(list)).GetProperty("data").EnumerateArray().Single(b => b.GetProperty("id").GetString() == id);
        Assert.Equal("completed", listed.GetProperty("status").GetString());

        using var cancel = await http.PostAsync($"/api/batches/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);

        using var missing = await http.GetAsync("/api/batches/batch_00000000000000000000000000000000");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Storage_per_1000_lines_before_and_after_the_purge()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        string? hub = null;
        var work = AzuriteFixture.UniqueContainerName("work");
        var outputContainer = AzuriteFixture.UniqueContainerName("out");
        await using var app = await FanoutTestApp.StartAsync(
            azurite.ConnectionString,
            simulator,
            DurableBackendKind.AzureStorage,
            output,
            new Dictionary<string, string?> { ["Fanout:Storage:WorkContainer"] = work, ["Fanout:Storage:OutputContainer"] = outputContainer },
            d => hub = d.TaskHubName);
        var input = await app.StartBatchAsync(FanoutTestApp.Jsonl(Lines), maxConcurrency: 50);
        var done = await app.WaitAsync(input.BatchId, TimeSpan.FromMinutes(3));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);

        var before = await StorageFootprint.MeasureAsync(azurite.ConnectionString, hub!, input.BatchId, work, outputContainer);
        var purger = new HistoryPurger(app.Store, Microsoft.Extensions.Options.Options.Create(new RetentionOptions { HistoryRetention = TimeSpan.Zero }), TimeProvider.System, NullLogger<HistoryPurger>.Instance);
        var pass = await purger.PurgeAsync(app.Client, CancellationToken.None);
        var after = await StorageFootprint.MeasureAsync(azurite.ConnectionString, hub!, input.BatchId, work, outputContainer);
        output.WriteLine($"{Lines} lines, chunk 500: before the purge {before.Per1000(Lines)}");
        output.WriteLine($"{Lines} lines, chunk 500: after the purge  {after.Per1000(Lines)}");

        Assert.Equal(new PurgeSummary(1, 3), pass); // the batch and its two chunk orchestrations
        Assert.True(before.Rows > Lines, $"{before}"); // a few rows per line (scheduled, completed) before
        Assert.Equal(0, after.Rows);
        Assert.Equal(0, after.WorkBytes);
        Assert.Equal(before.OutputBytes, after.OutputBytes);
        Assert.Null(await app.Client.GetInstanceAsync(input.BatchId));

        // A second pass finds nothing left to do.
        Assert.Equal(new PurgeSummary(0, 0), await purger.PurgeAsync(app.Client, CancellationToken.None));
    }

    [Fact]
    public async Task The_memory_backend_purges_too_and_a_batch_within_its_retention_is_kept()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions());
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.Memory, output);
        var input = await app.StartBatchAsync(FanoutTestApp.Jsonl(120), maxConcurrency: 10, chunkSize: 50);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await app.WaitAsync(input.BatchId, TimeSpan.FromMinutes(1))).RuntimeStatus);

        var keep = new HistoryPurger(app.Store, Microsoft.Extensions.Options.Options.Create(new RetentionOptions()), TimeProvider.System, NullLogger<HistoryPurger>.Instance);
        Assert.Equal(new PurgeSummary(0, 0), await keep.PurgeAsync(app.Client, CancellationToken.None));
        Assert.NotNull(await app.Client.GetInstanceAsync(input.BatchId));

        var now = new HistoryPurger(app.Store, Microsoft.Extensions.Options.Options.Create(new RetentionOptions { HistoryRetention = TimeSpan.Zero }), TimeProvider.System, NullLogger<HistoryPurger>.Instance);
        Assert.Equal(new PurgeSummary(1, 4), await now.PurgeAsync(app.Client, CancellationToken.None));
        Assert.Null(await app.Client.GetInstanceAsync(input.BatchId));
        Assert.Null(await app.Client.GetInstanceAsync(Core.Orchestrations.BatchOrchestrator.ChunkInstanceId(input.BatchId, 2)));
        var record = await Core.Storage.BatchRecords.TryReadAsync(app.Store, input.BatchId, CancellationToken.None);
        Assert.Equal(120, record!.RequestCounts.Completed);
        Assert.Equal(120, (await app.ReadOutputAsync(input.BatchId)).Count);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
