using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Batches;

/// <summary>The real orchestrator and activities, Azurite, and the simulator through the real Azure.AI.OpenAI client.</summary>
public sealed class OrchestrationTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Theory]
    [InlineData(DurableBackendKind.AzureStorage)]
    [InlineData(DurableBackendKind.Memory)]
    public async Task Batch_of_200_with_cap_8_writes_each_prompts_answer_in_input_order_within_the_cap(DurableBackendKind backend)
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 40, LatencyJitterMs = 20, Seed = 7 });
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, backend, output);
        var stopwatch = Stopwatch.StartNew();

        var batch = await app.StartBatchAsync(FanoutTestApp.Jsonl(200), maxConcurrency: 8);
        var meta = await app.WaitAsync(batch.BatchId, TimeSpan.FromMinutes(5));

        stopwatch.Stop();
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        var result = meta.ReadOutputAs<BatchResult>()!;
        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal(200, result.Counts.Completed);
        var lines = await app.ReadOutputAsync(batch.BatchId);
        Assert.Equal(200, lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal($"p-{i}", lines[i].GetProperty("custom_id").GetString());
            Assert.Equal(JsonValueKind.Null, lines[i].GetProperty("error").ValueKind);
            var response = lines[i].GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            var content = response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            Assert.Equal(SimulatorResponder.ContentFor($"Prompt number {i}: say something about {i * 7}."), content);
        }

        Assert.Empty(await app.ReadOutputAsync(batch.BatchId, "errors.jsonl"));
        var stats = simulator.Stats.Snapshot();
        Assert.InRange(stats.PeakConcurrency, 1, 8);
        Assert.Equal(200, stats.Succeeded);
        output.WriteLine($"{backend}: 200 prompts, cap 8, latency 40±20 ms: wall {stopwatch.Elapsed.TotalSeconds:F2} s, simulator peak concurrency {stats.PeakConcurrency}, requests {stats.Requests}, duplicates {stats.DuplicatePrompts}");
    }

    [Theory]
    [InlineData(DurableBackendKind.Memory)]
    [InlineData(DurableBackendKind.AzureStorage)]
    public async Task A_chunk_orchestration_terminated_mid_run_loses_no_line(DurableBackendKind backend)
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 50 });
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, backend, output);

        // Three chunks of 100 that run one after another (the cap is below MinChunkWindow): kill the first mid-run.
        // Its calls take 50 ms, so its slot may be reused after 3 s instead of the default bound on one call.
        var batch = await app.StartBatchAsync(FanoutTestApp.Jsonl(300), maxConcurrency: 10, chunkSize: 100, maxCallSeconds: 3);
        while (simulator.Stats.Succeeded < 30)
        {
            await Task.Delay(20);
        }

        var answeredAtKill = simulator.Stats.Succeeded;
        await app.Client.TerminateInstanceAsync(BatchOrchestrator.ChunkInstanceId(batch.BatchId, 0), "test: the chunk dies");
        var meta = await app.WaitAsync(batch.BatchId, TimeSpan.FromMinutes(3));

        var result = meta.ReadOutputAs<BatchResult>()!;
        var lines = await app.ReadOutputAsync(batch.BatchId);
        var stats = simulator.Stats.Snapshot();
        var chunk0 = await app.Client.GetInstanceAsync(BatchOrchestrator.ChunkInstanceId(batch.BatchId, 0));
        output.WriteLine($"{backend}: chunk 0 terminated after {answeredAtKill} answers; requests {stats.Requests}, duplicates {stats.DuplicatePrompts}, peak concurrency {stats.PeakConcurrency}");
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, chunk0?.RuntimeStatus);
        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal(300, result.Counts.Completed);
        Assert.Equal(0, result.Counts.Failed);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"p-{i}"), lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind));
        Assert.Equal(300, stats.DistinctPrompts);
        Assert.InRange(stats.PeakConcurrency, 1, 10);
    }

    [Fact]
    public async Task Invalid_lines_keep_their_place_and_the_valid_lines_still_run()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions());
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.Memory, output);
        var good = Encoding.UTF8.GetString(FanoutTestApp.Jsonl(3)).Split('\n');
        var jsonl = string.Join('\n', good[0], "{not json", good[1], """{"custom_id":"p-0","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"x"}]}}""", """{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{}}""", good[2]) + "\n";

        var batch = await app.StartBatchAsync(Encoding.UTF8.GetBytes(jsonl), maxConcurrency: 4);
        var meta = await app.WaitAsync(batch.BatchId, TimeSpan.FromMinutes(2));

        var result = meta.ReadOutputAs<BatchResult>()!;
        Assert.Equal(3, result.Counts.Completed);
        Assert.Equal(3, result.Counts.Failed);
        var lines = await app.ReadOutputAsync(batch.BatchId);
        Assert.Equal(6, lines.Count);
        Assert.Equal(["p-0", null, "p-1", "p-0", "e", "p-2"], lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.Equal(
            [null, "invalid_json_line", null, "duplicate_custom_id", "invalid_url", null],
            lines.Select(l => l.GetProperty("error").ValueKind == JsonValueKind.Null ? null : l.GetProperty("error").GetProperty("code").GetString()));
        var errors = await app.ReadOutputAsync(batch.BatchId, "errors.jsonl");
        Assert.Equal([null, "p-0", "e"], errors.Select(l => l.GetProperty("custom_id").GetString()));
    }

    [Theory]
    [InlineData(DurableBackendKind.AzureStorage)]
    [InlineData(DurableBackendKind.Memory)]
    public async Task Large_batch_runs_as_chunks_within_the_global_cap_and_keeps_order(DurableBackendKind backend)
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, backend, output);

        var batch = await app.StartBatchAsync(FanoutTestApp.Jsonl(1_050), maxConcurrency: 24, chunkSize: 200);
        var meta = await app.WaitAsync(batch.BatchId, TimeSpan.FromMinutes(5));

        Assert.Equal(1_050, meta.ReadOutputAs<BatchResult>()!.Counts.Completed);
        var lines = await app.ReadOutputAsync(batch.BatchId);
        Assert.Equal(Enumerable.Range(0, 1_050).Select(i => $"p-{i}"), lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.InRange(simulator.Stats.PeakConcurrency, 1, 24);
    }

    [Fact]
    public async Task Cancel_keeps_finished_results_and_marks_the_rest_cancelled()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 100 });
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.Memory, output);

        var batch = await app.StartBatchAsync(FanoutTestApp.Jsonl(400), maxConcurrency: 4);
        while (simulator.Stats.Succeeded < 8)
        {
            await Task.Delay(50);
        }

        await app.Client.RaiseEventAsync(batch.BatchId, "cancel", "cancel");
        var meta = await app.WaitAsync(batch.BatchId, TimeSpan.FromMinutes(2));

        var result = meta.ReadOutputAs<BatchResult>()!;
        Assert.Equal(BatchStatus.Cancelled, result.Status);
        var lines = await app.ReadOutputAsync(batch.BatchId);
        Assert.Equal(400, lines.Count);
        var succeeded = lines.Count(l => l.GetProperty("error").ValueKind == JsonValueKind.Null);
        Assert.Equal(result.Counts.Completed, succeeded);
        Assert.InRange(succeeded, 8, 100);
        Assert.All(lines.Where(l => l.GetProperty("error").ValueKind != JsonValueKind.Null), l => Assert.Equal("batch_cancelled", l.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(simulator.Stats.Succeeded, succeeded);
    }
}
