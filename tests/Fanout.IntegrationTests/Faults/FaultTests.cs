using System.Diagnostics;
using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.LocalDev;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Faults;

/// <summary>
/// Faults from the model and from storage: every batch ends with one line per input line, in input order, each the
/// simulator's answer to its prompt, and none lost.
/// </summary>
public sealed class FaultTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Fanout:OpenAI:MaxInActivityWaitSeconds"] = "1",
        ["Fanout:OpenAI:TimeoutSeconds"] = "2",
    };

    [Fact]
    public async Task Ten_percent_500s_lose_no_line()
    {
        var stats = await RunAsync(new SimulatorOptions { LatencyMs = 10, FailureRate = 0.10, Seed = 11 }, count: 300, cap: 16);

        Assert.True(stats.Failed > 0, "the simulator injected no 500s");
    }

    [Fact]
    public async Task Five_percent_hangs_are_cut_by_the_call_timeout_and_retried()
    {
        var stats = await RunAsync(new SimulatorOptions { LatencyMs = 10, HangRate = 0.05, Seed = 5 }, count: 200, cap: 16);

        Assert.True(stats.Hung > 0, "the simulator hung no request");
    }

    [Fact]
    public async Task A_twenty_second_burst_of_429s_loses_no_line()
    {
        // The burst starts with the simulator, so it covers the batch's start whatever the machine's speed (it began at
        // 0.5 s before: a warm host could submit and finish all 300 lines before that, and the test saw no 429 at all).
        var stats = await RunAsync(
            new SimulatorOptions { LatencyMs = 10, Burst429StartSeconds = 0, Burst429DurationSeconds = 20 }, count: 300, cap: 16);

        Assert.True(stats.RateLimited > 0, "the simulator sent no 429");
    }

    [Fact]
    public async Task A_quota_at_a_quarter_of_what_the_cap_needs_is_used_without_losing_lines()
    {
        // Cap 16 at 100 ms needs ~9,600 requests/min × ~42 tokens ≈ 400k TPM; the deployment has a quarter of that.
        var options = new SimulatorOptions { LatencyMs = 100, TokensPerMinute = 100_000, QuotaWindowSeconds = 5 };
        var stopwatch = Stopwatch.StartNew();

        var stats = await RunAsync(options, count: 400, cap: 16);

        var utilisation = stats.TokensAdmitted / (options.TokensPerMinute * stopwatch.Elapsed.TotalMinutes);
        output.WriteLine($"TPM quarter: {stopwatch.Elapsed.TotalSeconds:F1} s, quota utilisation {utilisation:P0}, 429s {stats.RateLimited} of {stats.Requests} requests ({(double)stats.RateLimited / stats.Requests:P1})");
    }

    [Fact]
    public async Task Azurite_stopped_and_restarted_mid_batch_loses_no_line()
    {
        var repoRoot = RepoRoot.Find(AppContext.BaseDirectory)!;
        var dataDirectory = Path.Combine(Path.GetTempPath(), "fanout-outage-" + Guid.NewGuid().ToString("N"));
        var storage = await AzuriteProcess.StartAsync(dataDirectory, repoRoot, null, CancellationToken.None);
        try
        {
            await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 20 });
            await using var app = await FanoutTestApp.StartAsync(
                storage.ConnectionString,
                simulator,
                DurableBackendKind.AzureStorage,
                output,
                FastRetries);
            var batch = await app.StartBatchAsync(FanoutTestApp.Jsonl(300), maxConcurrency: 16);
            while (simulator.Stats.Succeeded < 100)
            {
                await Task.Delay(20);
            }

            await storage.DisposeAsync();
            output.WriteLine($"storage stopped after {simulator.Stats.Succeeded} answers");
            await Task.Delay(TimeSpan.FromSeconds(3));
            storage = await AzuriteProcess.RestartAsync(storage, repoRoot, null, CancellationToken.None);

            var meta = await app.WaitAsync(batch.BatchId, TimeSpan.FromMinutes(5));

            await AssertCompleteAsync(app, meta, batch.BatchId, 300);
            var stats = simulator.Stats.Snapshot();
            output.WriteLine($"outage: requests {stats.Requests}, duplicates {stats.DuplicatePrompts}");
        }
        finally
        {
            await storage.DisposeAsync();
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task<Fanout.Simulator.Stats.SimulatorStatsSnapshot> RunAsync(SimulatorOptions options, int count, int cap)
    {
        await using var simulator = await SimulatorServer.StartAsync(options);
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.Memory, output, FastRetries);

        var batch = await app.StartBatchAsync(FanoutTestApp.Jsonl(count), cap);
        var meta = await app.WaitAsync(batch.BatchId, TimeSpan.FromMinutes(5));

        await AssertCompleteAsync(app, meta, batch.BatchId, count);
        var stats = simulator.Stats.Snapshot();
        Assert.InRange(stats.PeakConcurrency, 1, cap);
        var result = meta.ReadOutputAs<BatchResult>()!;
        output.WriteLine($"requests {stats.Requests}, 500s {stats.Failed}, hangs {stats.Hung}, 429s {stats.RateLimited}, durable retries {result.Counts.Retries}, peak {stats.PeakConcurrency}");
        return stats;
    }

    private static async Task AssertCompleteAsync(FanoutTestApp app, OrchestrationMetadata meta, string batchId, int count)
    {
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        var result = meta.ReadOutputAs<BatchResult>()!;
        Assert.Equal(count, result.Counts.Completed);
        Assert.Equal(0, result.Counts.Failed);
        var lines = await app.ReadOutputAsync(batchId);
        Assert.Equal(count, lines.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal($"p-{i}", lines[i].GetProperty("custom_id").GetString());
            Assert.Equal(JsonValueKind.Null, lines[i].GetProperty("error").ValueKind);
            Assert.Equal(
                SimulatorResponder.ContentFor($"Prompt number {i}: say something about {i * 7}."),
                lines[i].GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        }
    }
}
