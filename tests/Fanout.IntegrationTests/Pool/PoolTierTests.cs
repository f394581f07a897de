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

namespace Fanout.IntegrationTests.Pool;

/// <summary>
/// Tiers through the whole path (orchestrator, activities, the real Azure.AI.OpenAI client, the simulator's separate
/// quotas): a provisioned deployment takes what its quota admits, a standard one the spillover; the batch object says
/// which tier answered each line and what that cost.
/// </summary>
public sealed class PoolTierTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private static readonly BatchPricing Prices = new("USD", new Dictionary<string, ModelPrice> { ["gpt-4o-mini"] = new(0.15m, 0.6m) });

    [Fact]
    public async Task Provisioned_takes_what_its_quota_admits_standard_the_rest_and_the_batch_object_prices_each_tier()
    {
        const int count = 80;
        await using var server = await SimulatorServer.StartAsync(Simulator(ptuRequestsPerWindow: 10));
        await using var fanout = await StartAppAsync(server);

        var input = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(count), 8, shape: i => i with { Pricing = Prices });
        var meta = await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(2));

        var result = Finished(meta, count);
        var usage = result.Counts.ByDeployment!;
        output.WriteLine(string.Join(", ", usage.Select(u => $"{u.Key} ({u.Value.Tier}): {u.Value.Lines} lines, {u.Value.Calls} calls, {u.Value.RateLimited} 429s")));
        Assert.Equal("provisioned", usage["ptu"].Tier);
        Assert.Equal("standard", usage["paygo"].Tier);
        Assert.True(usage["ptu"].Lines >= 10, $"ptu answered {usage["ptu"].Lines} lines");
        Assert.True(usage["paygo"].Lines > 0, "nothing spilled over to paygo");
        // Every line answered, and the answers counted are the ones the server gave, exactly. A line runs at least once:
        // one found without a stored result before finalize runs again, and its second answer is counted (and paid).
        var served = server.DeploymentStats();
        Assert.Equal(served["ptu"].Succeeded, usage["ptu"].Lines);
        Assert.Equal(served["paygo"].Succeeded, usage["paygo"].Lines);
        Assert.Equal(served["ptu"].Requests, usage["ptu"].Calls);
        Assert.Equal(served["paygo"].Requests, usage["paygo"].Calls);
        Assert.InRange(usage["ptu"].Lines + usage["paygo"].Lines, count, count + 8);

        using var batch = JsonDocument.Parse(BatchObjects.Serialize(BatchObjects.FromResult(input, result, fanout.Store)));
        var root = batch.RootElement;
        Assert.Equal(usage["ptu"].Lines, root.GetProperty("lines_by_tier").GetProperty("provisioned").GetInt64());
        Assert.Equal(usage["paygo"].Lines, root.GetProperty("lines_by_tier").GetProperty("standard").GetInt64());
        Assert.Equal(0, root.GetProperty("lines_by_tier").GetProperty("batch").GetInt64());
        Assert.Equal("provisioned", root.GetProperty("usage_by_deployment").GetProperty("ptu").GetProperty("tier").GetString());

        // Provisioned is free; standard pays its tokens at the configured price.
        var cost = root.GetProperty("cost");
        var paygo = usage["paygo"];
        var expected = ((paygo.PromptTokens * 0.15m) + (paygo.CompletionTokens * 0.6m)) / 1_000_000m;
        Assert.Equal(0m, cost.GetProperty("by_tier").GetProperty("provisioned").GetDecimal());
        Assert.Equal(expected, cost.GetProperty("by_tier").GetProperty("standard").GetDecimal());
        Assert.Equal(expected, cost.GetProperty("total").GetDecimal());
        Assert.Equal("USD", cost.GetProperty("currency").GetString());
    }

    [Fact]
    public async Task Without_standard_spend_every_line_waits_for_provisioned_quota_and_standard_is_never_called()
    {
        const int count = 30;
        await using var server = await SimulatorServer.StartAsync(Simulator(ptuRequestsPerWindow: 10));
        await using var fanout = await StartAppAsync(server);

        var input = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(count), 8, shape: i => i.WithSpend(standardSpend: false, deadline: null));
        var meta = await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(2));

        var result = Finished(meta, count);
        var usage = result.Counts.ByDeployment!;
        Assert.Equal(count, usage["ptu"].Lines);
        Assert.False(usage.ContainsKey("paygo"), "paygo was called");
        Assert.Equal(0, server.DeploymentStats().TryGetValue("paygo", out var paygo) ? paygo.Succeeded : 0);
    }

    private static BatchResult Finished(OrchestrationMetadata meta, int count)
    {
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        var result = meta.ReadOutputAs<BatchResult>()!;
        Assert.Equal(count, result.Counts.Completed);
        Assert.Equal(0, result.Counts.Failed);
        return result;
    }

    /// <summary>ptu admits <paramref name="ptuRequestsPerWindow"/> requests a second; paygo is unlimited.</summary>
    private static SimulatorOptions Simulator(int ptuRequestsPerWindow)
    {
        var options = new SimulatorOptions
        {
            LatencyMs = 20,
            QuotaWindowSeconds = 1,
            Deployments = new Dictionary<string, SimulatorDeploymentOptions>(StringComparer.OrdinalIgnoreCase)
            {
                ["ptu"] = new() { Model = "ptu-model" },
                ["paygo"] = new() { Model = "paygo-model" },
            },
        };
        options.Deployments["ptu"].RequestsPerMinute = ptuRequestsPerWindow * 60;
        return options;
    }

    private Task<FanoutTestApp> StartAppAsync(SimulatorServer server)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Fanout:OpenAI:MaxInActivityWaitSeconds"] = "1",
            ["Fanout:OpenAI:TimeoutSeconds"] = "5",
        };
        string[][] members = [["ptu", "provisioned"], ["paygo", "standard"]];
        for (var i = 0; i < members.Length; i++)
        {
            settings[$"Fanout:OpenAI:Pool:{i}:Endpoint"] = server.BaseUri.ToString();
            settings[$"Fanout:OpenAI:Pool:{i}:Deployment"] = members[i][0];
            settings[$"Fanout:OpenAI:Pool:{i}:ApiKey"] = "simulator";
            settings[$"Fanout:OpenAI:Pool:{i}:Model"] = "gpt-4o-mini";
            settings[$"Fanout:OpenAI:Pool:{i}:Tier"] = members[i][1];
        }

        return FanoutTestApp.StartAsync(azurite.ConnectionString, server, DurableBackendKind.Memory, output, settings);
    }
}
