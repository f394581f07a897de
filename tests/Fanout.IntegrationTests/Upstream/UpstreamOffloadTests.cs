using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Cost;
using Fanout.Core.Estimates;
using Fanout.Core.Models;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Upstream;

/// <summary>
/// A batch with a deadline whose pool has a <c>batch</c> member, through the whole path: the orchestrators, the real
/// Azure.AI.OpenAI file and batch clients, the simulator's Batch API (unordered output, turnaround, failures, cancel) and
/// Azurite. The output is one file in input order whatever path each line took, and no line is paid for twice.
/// </summary>
public sealed class UpstreamOffloadTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const string BatchDeployment = "gpt-4o-mini-batch";
    private static readonly BatchPricing Prices = new("USD", new Dictionary<string, ModelPrice> { ["gpt-4o-mini"] = new(0.15m, 0.6m) });

    [Fact]
    public async Task With_time_to_spare_every_line_goes_to_the_Batch_API_and_comes_back_in_input_order_at_the_batch_price()
    {
        const int count = 40;
        await using var server = await SimulatorServer.StartAsync(Simulator(turnaroundSeconds: 2));
        await using var fanout = await StartAppAsync(server);

        var input = await StartAsync(fanout, count, deadlineSeconds: 600);
        var result = Finished(await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(2)), count);

        var lines = await fanout.ReadOutputAsync(input.BatchId);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"p-{i}"), lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(lines, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Equal(1, server.BatchFileUploads);
        Assert.Equal(1, server.BatchesCreated);
        Assert.Equal(0, server.DeploymentStats().TryGetValue("paygo", out var paygo) ? paygo.Requests : 0);

        using var batch = JsonDocument.Parse(BatchObjects.Serialize(BatchObjects.FromResult(input, result, fanout.Store)));
        var root = batch.RootElement;
        Assert.Equal(count, root.GetProperty("lines_by_tier").GetProperty("batch").GetInt64());
        Assert.Equal(0, root.GetProperty("lines_by_tier").GetProperty("standard").GetInt64());
        var usage = result.Counts.ByDeployment![BatchDeployment];
        Assert.Equal("batch", usage.Tier);
        var expected = ((usage.PromptTokens * 0.15m) + (usage.CompletionTokens * 0.6m)) / 1_000_000m * 0.5m;
        Assert.Equal(expected, root.GetProperty("cost").GetProperty("by_tier").GetProperty("batch").GetDecimal());
        Assert.Equal(expected, root.GetProperty("cost").GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task When_the_deadline_nears_the_upstream_batch_is_cancelled_what_it_finished_is_kept_and_the_rest_runs_live()
    {
        const int count = 20;
        // Upstream: one line every 2 s. Live need ≈ 20 lines × ~60 tokens at 9,000 TPM ≈ 8 s (+10 %): with a 20 s
        // deadline the batch is pulled back about 11 s in, with some lines answered upstream and most not.
        await using var server = await SimulatorServer.StartAsync(Simulator(turnaroundSeconds: 40));
        await using var fanout = await StartAppAsync(server);

        var input = await StartAsync(fanout, count, deadlineSeconds: 20);
        var result = Finished(await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(2)), count);

        var usage = result.Counts.ByDeployment!;
        var upstream = usage.TryGetValue(BatchDeployment, out var b) ? b.Lines : 0;
        output.WriteLine($"upstream {upstream} lines, live {usage["paygo"].Lines} lines");
        Assert.InRange(upstream, 1, count - 1);
        Assert.Equal(count - upstream, usage["paygo"].Lines);
        Assert.Equal(count - upstream, server.DeploymentStats()["paygo"].Succeeded);
        var lines = await fanout.ReadOutputAsync(input.BatchId);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"p-{i}"), lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.Equal(1, server.BatchesCreated);
    }

    [Fact]
    public async Task Lines_the_Batch_API_fails_run_live_and_none_is_lost()
    {
        const int count = 30;
        await using var server = await SimulatorServer.StartAsync(Simulator(turnaroundSeconds: 1, failureRate: 0.4));
        await using var fanout = await StartAppAsync(server);

        var input = await StartAsync(fanout, count, deadlineSeconds: 600);
        var result = Finished(await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(2)), count);

        var usage = result.Counts.ByDeployment!;
        output.WriteLine($"upstream {usage[BatchDeployment].Lines} lines ({usage[BatchDeployment].Failures} failed), live {usage["paygo"].Lines}");
        Assert.True(usage[BatchDeployment].Failures > 0, "the simulator failed no upstream line");
        Assert.Equal(usage[BatchDeployment].Failures, usage["paygo"].Lines);
        Assert.Equal(count, usage[BatchDeployment].Lines + usage["paygo"].Lines);
        var lines = await fanout.ReadOutputAsync(input.BatchId);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"p-{i}"), lines.Select(l => l.GetProperty("custom_id").GetString()));
    }

    [Fact]
    public async Task Without_room_before_the_deadline_nothing_goes_upstream()
    {
        const int count = 20;
        await using var server = await SimulatorServer.StartAsync(Simulator(turnaroundSeconds: 1));
        await using var fanout = await StartAppAsync(server);

        // The live need (~8.8 s) does not fit before a 5 s deadline: live at once, no upstream file.
        var input = await StartAsync(fanout, count, deadlineSeconds: 5);
        Finished(await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(2)), count);

        Assert.Equal(0, server.BatchFileUploads);
        Assert.Equal(count, server.DeploymentStats()["paygo"].Succeeded);
    }

    private static async Task<BatchInput> StartAsync(FanoutTestApp fanout, int count, int deadlineSeconds)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return await fanout.StartBatchAsync(FanoutTestApp.Jsonl(count), 8, shape: i => i with { CreatedAt = now, Deadline = now + deadlineSeconds, Pricing = Prices });
    }

    private static BatchResult Finished(OrchestrationMetadata meta, int count)
    {
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        var result = meta.ReadOutputAs<BatchResult>()!;
        Assert.Equal(count, result.Counts.Completed);
        Assert.Equal(0, result.Counts.Failed);
        return result;
    }

    internal static SimulatorOptions Simulator(double turnaroundSeconds, double failureRate = 0) => new()
    {
        LatencyMs = 5,
        Deployments = new Dictionary<string, SimulatorDeploymentOptions>(StringComparer.OrdinalIgnoreCase)
        {
            ["paygo"] = new() { Model = "gpt-4o-mini" },
            [BatchDeployment] = new() { Kind = "batch", TurnaroundSeconds = turnaroundSeconds, BatchFailureRate = failureRate },
        },
    };

    /// <summary>A standard member (with a 9,000 TPM hint, so the live need is known) and a batch member of one model.</summary>
    internal static Dictionary<string, string> PoolSettings(SimulatorServer server) => new()
    {
        ["Fanout:OpenAI:Pool:0:Endpoint"] = server.BaseUri.ToString(),
        ["Fanout:OpenAI:Pool:0:Deployment"] = "paygo",
        ["Fanout:OpenAI:Pool:0:ApiKey"] = "simulator",
        ["Fanout:OpenAI:Pool:0:Model"] = "gpt-4o-mini",
        ["Fanout:OpenAI:Pool:0:TokensPerMinute"] = "9000",
        ["Fanout:OpenAI:Pool:1:Endpoint"] = server.BaseUri.ToString(),
        ["Fanout:OpenAI:Pool:1:Deployment"] = BatchDeployment,
        ["Fanout:OpenAI:Pool:1:ApiKey"] = "simulator",
        ["Fanout:OpenAI:Pool:1:Model"] = "gpt-4o-mini",
        ["Fanout:OpenAI:Pool:1:Tier"] = "batch",
        ["Fanout:Cost:UpstreamPollSeconds"] = "1",
    };

    private Task<FanoutTestApp> StartAppAsync(SimulatorServer server)
    {
        var settings = PoolSettings(server).ToDictionary(p => p.Key, p => (string?)p.Value);
        settings["Fanout:OpenAI:TimeoutSeconds"] = "5";
        return FanoutTestApp.StartAsync(azurite.ConnectionString, server, DurableBackendKind.Memory, output, settings);
    }
}
