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

namespace Fanout.IntegrationTests.Counters;

/// <summary>
/// The counters users size quotas from, against the simulator's own counts of what it received and answered: a batch
/// with forced 429s (single deployment and a pool), and one with forced 401s, 500s and hung calls. Real orchestrator,
/// activities, Azurite and the Azure.AI.OpenAI client (with its own retries), in-memory durable backend.
/// </summary>
public sealed class AttemptCounterTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rate_limited_equals_the_simulators_429s_exactly_and_calls_equal_its_requests(bool quota)
    {
        // Forced: a quarter of the tries are answered 429 (short Retry-After), most retried by the SDK inside the call.
        // Quota: 20 requests per 2-second window, as a small deployment throttles (Retry-After until the window has room).
        var options = quota
            ? new SimulatorOptions { LatencyMs = 5, RequestsPerMinute = 600, QuotaWindowSeconds = 2 }
            : new SimulatorOptions { LatencyMs = 5, FailureRate = 0.25, FailureStatusCode = 429, FailureRetryAfterMs = 20, Seed = 7 };
        await using var server = await SimulatorServer.StartAsync(options);
        await using var fanout = await FanoutTestApp.StartAsync(azurite.ConnectionString, server, DurableBackendKind.Memory, output);

        var (batch, result) = await RunAsync(fanout, 60, 8);

        var stats = server.Stats.Snapshot();
        var deployment = server.DeploymentStats()["gpt-4o-mini"];
        var usage = batch.GetProperty("usage_by_deployment").GetProperty("gpt-4o-mini");
        output.WriteLine($"server: {stats.Requests} requests, {stats.RateLimited} 429s; fanout: {usage.GetProperty("calls")} calls, {usage.GetProperty("rate_limited")} 429s, progress.rate_limited {batch.GetProperty("progress").GetProperty("rate_limited")}");
        Assert.True(stats.RateLimited > 0, "no 429 was forced");
        Assert.Equal(stats.RateLimited, batch.GetProperty("progress").GetProperty("rate_limited").GetInt64());
        Assert.Equal(deployment.RateLimited, usage.GetProperty("rate_limited").GetInt64());
        Assert.Equal(deployment.Requests, usage.GetProperty("calls").GetInt64());
        Assert.Equal(0, usage.GetProperty("failures").GetInt64());

        // The orchestration's own result says the same (the OpenTelemetry batch span and batch.json read it).
        Assert.Equal(stats.RateLimited, result.Counts.Throttled);
        Assert.Equal(deployment.Requests, result.Counts.ByDeployment!["gpt-4o-mini"].Calls);
    }

    [Fact]
    public async Task In_a_pool_each_members_429s_and_calls_equal_the_simulators_and_sum_to_the_batchs()
    {
        string[] names = ["east", "west", "north"];
        var options = new SimulatorOptions
        {
            LatencyMs = 5,
            FailureRate = 0.2,
            FailureStatusCode = 429,
            FailureRetryAfterMs = 20,
            Seed = 11,
            Deployments = names.ToDictionary(n => n, _ => new SimulatorDeploymentOptions(), StringComparer.OrdinalIgnoreCase),
        };
        await using var server = await SimulatorServer.StartAsync(options);
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < names.Length; i++)
        {
            settings[$"Fanout:OpenAI:Pool:{i}:Endpoint"] = server.BaseUri.ToString();
            settings[$"Fanout:OpenAI:Pool:{i}:Deployment"] = names[i];
            settings[$"Fanout:OpenAI:Pool:{i}:ApiKey"] = "simulator";
            settings[$"Fanout:OpenAI:Pool:{i}:Model"] = "gpt-4o-mini";
        }

        await using var fanout = await FanoutTestApp.StartAsync(azurite.ConnectionString, server, DurableBackendKind.Memory, output, settings);

        var (batch, _) = await RunAsync(fanout, 60, 8);

        var perDeployment = server.DeploymentStats();
        var usage = batch.GetProperty("usage_by_deployment");
        long sum = 0;
        foreach (var name in names)
        {
            var member = usage.GetProperty(name);
            var served = perDeployment.TryGetValue(name, out var s) ? s : null;
            output.WriteLine($"{name}: server {served?.Requests} requests / {served?.RateLimited} 429s; fanout {member.GetProperty("calls")} calls / {member.GetProperty("rate_limited")} 429s");
            Assert.Equal(served?.RateLimited ?? 0, member.GetProperty("rate_limited").GetInt64());
            Assert.Equal(served?.Requests ?? 0, member.GetProperty("calls").GetInt64());
            sum += member.GetProperty("rate_limited").GetInt64();
        }

        Assert.True(sum > 3, $"only {sum} 429s were forced");
        Assert.Equal(server.Stats.RateLimited, sum);
        Assert.Equal(sum, batch.GetProperty("progress").GetProperty("rate_limited").GetInt64());
    }

    [Fact]
    public async Task Failures_by_kind_equal_the_simulators_401s_500s_and_hung_calls_and_a_non_OpenAI_error_body_is_kept()
    {
        // 401 with a body that is not OpenAI-shaped on some lines; then 500s and hangs (the client times out after 1 s).
        const string detail = "{\"detail\": \"Missing or incorrect API Key\"}";
        var options = new SimulatorOptions { LatencyMs = 5, FailureRate = 0.2, FailureStatusCode = 401, FailureBody = detail, Seed = 3 };
        await using var server = await SimulatorServer.StartAsync(options);
        var settings = new Dictionary<string, string?> { ["Fanout:OpenAI:TimeoutSeconds"] = "1", ["Fanout:OpenAI:MaxRetries"] = "1" };
        await using var fanout = await FanoutTestApp.StartAsync(azurite.ConnectionString, server, DurableBackendKind.Memory, output, settings);

        var (first, _) = await RunAsync(fanout, 30, 8);
        var errors = await fanout.ReadOutputAsync(first.GetProperty("id").GetString()!, "errors.jsonl");
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Contains("Missing or incorrect API Key", e.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal));

        options.FailureStatusCode = 500;
        options.FailureBody = null;
        options.FailureRate = 0.15;
        options.HangRate = 0.05;
        var (second, _) = await RunAsync(fanout, 30, 8);

        var d = server.DeploymentStats()["gpt-4o-mini"];
        var kinds = Sum(first, "gpt-4o-mini", "failures_by_kind", "http_4xx", "http_5xx", "timeout", "connection")
            .Zip(Sum(second, "gpt-4o-mini", "failures_by_kind", "http_4xx", "http_5xx", "timeout", "connection"), (a, b) => a + b).ToArray();
        output.WriteLine($"server: 4xx {d.Http4xx}, 5xx {d.Http5xx}, hung {d.Hung}, refused {d.Refused}; fanout: 4xx {kinds[0]}, 5xx {kinds[1]}, timeout {kinds[2]}, connection {kinds[3]}");
        Assert.True(d.Http4xx > 0 && d.Http5xx > 0 && d.Hung > 0, "a kind of failure was not forced");
        Assert.Equal([d.Http4xx, d.Http5xx, d.Hung, d.Refused], kinds);
        var failures = Sum(first, "gpt-4o-mini", null, "failures")[0] + Sum(second, "gpt-4o-mini", null, "failures")[0];
        Assert.Equal(d.Failed + d.Hung, failures);
    }

    private static long[] Sum(JsonElement batch, string member, string? inner, params string[] fields)
    {
        var usage = batch.GetProperty("usage_by_deployment").GetProperty(member);
        var source = inner is null ? usage : usage.GetProperty(inner);
        return fields.Select(f => source.GetProperty(f).GetInt64()).ToArray();
    }

    private static async Task<(JsonElement Batch, BatchResult Result)> RunAsync(FanoutTestApp fanout, int count, int cap)
    {
        var input = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(count), cap);
        var meta = await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(3));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        var got = await fanout.Api.GetAsync(input.BatchId, fanout.Client, CancellationToken.None);
        Assert.True(got.IsSuccess);
        var json = JsonDocument.Parse(BatchObjects.Serialize(got.Value)).RootElement.Clone();
        Assert.Equal(count, json.GetProperty("request_counts").GetProperty("total").GetInt32());
        return (json, meta.ReadOutputAs<BatchResult>()!);
    }
}
