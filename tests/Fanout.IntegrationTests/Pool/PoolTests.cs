using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Pool;

/// <summary>
/// A batch over a pool of three deployments (<c>Fanout:OpenAI:Pool</c>) of one simulator, through Fanout's orchestrator,
/// activities, blob store and the real Azure.AI.OpenAI client: spread, cap, throttling and outages.
/// </summary>
public sealed class PoolTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private static readonly string[] Names = ["east", "west", "north"];

    [Fact]
    public async Task A_batch_spreads_across_the_pool_under_the_cap_and_each_line_names_the_model_that_answered()
    {
        const int count = 300;
        const int cap = 12;
        var options = Simulator(latencyMs: 20);

        var (result, lines, simulator, batch) = await RunAsync(options, count, cap);

        var usage = result.Counts.ByDeployment!;
        Assert.Equal(Names.Order(), usage.Keys.Order());
        Assert.All(Names, n => Assert.True(usage[n].Calls >= count / 10, $"{n} served {usage[n].Calls} of {count} calls"));
        Assert.Equal(count, usage.Values.Sum(u => u.Calls));
        Assert.Equal(result.Counts.PromptTokens + result.Counts.CompletionTokens, usage.Values.Sum(u => u.TotalTokens));
        Assert.InRange(simulator.PeakConcurrency, 1, cap);

        // Each answer is what its deployment returned: its own model name, and the deployment's count agrees.
        var models = lines.Select(l => l.GetProperty("response").GetProperty("body").GetProperty("model").GetString()!).ToList();
        Assert.All(Names, n => Assert.Equal(usage[n].Calls, models.Count(m => m == $"{n}-model")));

        // The public batch object carries the same numbers.
        Assert.Equal(usage["east"].Calls, batch.RootElement.GetProperty("usage_by_deployment").GetProperty("east").GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task One_deployment_throttling_hard_does_not_hold_the_others_back()
    {
        const int count = 300;
        const int cap = 12;

        // east admits about five calls every two seconds; west and north are unlimited.
        var options = Simulator(latencyMs: 20);
        options.QuotaWindowSeconds = 2;
        options.Deployments["east"].RequestsPerMinute = 150;

        var (result, _, _, _) = await RunAsync(options, count, cap);

        var usage = result.Counts.ByDeployment!;
        output.WriteLine(string.Join(", ", usage.Select(u => $"{u.Key}: {u.Value.Calls} calls, {u.Value.RateLimited} 429s")));
        Assert.True(usage["east"].RateLimited > 0, "east was never throttled");

        // No line waited for east: none was handed back for a durable timer; west and north answered the rest unthrottled.
        Assert.Equal(0, result.Counts.Retries);
        Assert.Equal(0, usage["west"].RateLimited + usage["north"].RateLimited);
        Assert.True(usage["west"].Calls + usage["north"].Calls >= count * 2 / 3, "the unthrottled deployments answered less than two thirds");
    }

    [Theory]
    [InlineData(DeploymentOutage.ServiceUnavailable)]
    [InlineData(DeploymentOutage.Refuse)]
    public async Task One_deployment_going_down_mid_batch_and_coming_back_loses_no_line(DeploymentOutage outage)
    {
        const int count = 600;
        const int cap = 12;
        var options = Simulator(latencyMs: 30);
        await using var server = await SimulatorServer.StartAsync(options);
        await using var fanout = await StartAppAsync(server);

        var input = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(count), cap);
        await WaitForAnswersAsync(server, count / 4);
        server.StopDeployment("north", outage);
        await WaitForAnswersAsync(server, count / 2);
        var servedBefore = server.DeploymentStats()["north"].Succeeded;

        // The rest of the batch must outlast north's longest rest (8 s) so that it is probed again before the end.
        server.Options.LatencyMs = 500;
        server.StartDeployment("north");
        var meta = await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(3));

        var (result, _) = await AssertAllAnsweredAsync(fanout, meta, input.BatchId, count);
        var usage = result.Counts.ByDeployment!;
        output.WriteLine(string.Join(", ", usage.Select(u => $"{u.Key}: {u.Value.Calls} calls, {u.Value.Failures} failures")));
        Assert.True(usage["north"].Failures > 0, "north never failed");
        Assert.Equal(0, result.Counts.Retries);

        // It came back: it answered again after it was started.
        Assert.True(server.DeploymentStats()["north"].Succeeded > servedBefore, "north answered nothing after it came back");
    }

    private static SimulatorOptions Simulator(int latencyMs) => new()
    {
        LatencyMs = latencyMs,
        Deployments = Names.ToDictionary(n => n, n => new SimulatorDeploymentOptions { Model = $"{n}-model" }, StringComparer.OrdinalIgnoreCase),
    };

    private static async Task WaitForAnswersAsync(SimulatorServer server, int answered)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (server.Stats.Succeeded < answered)
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private Task<FanoutTestApp> StartAppAsync(SimulatorServer server)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Fanout:OpenAI:MaxInActivityWaitSeconds"] = "1",
            ["Fanout:OpenAI:TimeoutSeconds"] = "5",
        };
        for (var i = 0; i < Names.Length; i++)
        {
            settings[$"Fanout:OpenAI:Pool:{i}:Endpoint"] = server.BaseUri.ToString();
            settings[$"Fanout:OpenAI:Pool:{i}:Deployment"] = Names[i];
            settings[$"Fanout:OpenAI:Pool:{i}:ApiKey"] = "simulator";
            settings[$"Fanout:OpenAI:Pool:{i}:Model"] = "gpt-4o-mini";
        }

        return FanoutTestApp.StartAsync(azurite.ConnectionString, server, DurableBackendKind.Memory, output, settings);
    }

    private async Task<(BatchResult Result, List<JsonElement> Lines, Fanout.Simulator.Stats.SimulatorStatsSnapshot Stats, JsonDocument Batch)> RunAsync(
        SimulatorOptions options, int count, int cap)
    {
        await using var server = await SimulatorServer.StartAsync(options);
        await using var fanout = await StartAppAsync(server);
        var input = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(count), cap);
        var meta = await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(3));
        var (result, lines) = await AssertAllAnsweredAsync(fanout, meta, input.BatchId, count);
        var batch = JsonDocument.Parse(BatchObjects.Serialize(BatchObjects.FromResult(input, result, fanout.Store)));
        return (result, lines, server.Stats.Snapshot(), batch);
    }

    private static async Task<(BatchResult, List<JsonElement>)> AssertAllAnsweredAsync(FanoutTestApp app, OrchestrationMetadata meta, string batchId, int count)
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

        return (result, lines);
    }
}
