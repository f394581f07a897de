using System.Text.Json;
using Fanout.Core.Llm;
using Fanout.Core.Options;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.Tests.Llm;

/// <summary>The real <see cref="AzureOpenAIChatInvoker"/> (Azure SDK pipeline, retry policy, throttle gate) against the simulator's quota.</summary>
public sealed class ThrottleGateSimulatorTests(ITestOutputHelper output)
{
    private const int MaxTokens = 8;

    [Fact]
    public async Task Concurrent_calls_under_a_tight_quota_collect_far_fewer_429s_than_the_same_calls_without_the_gate()
    {
        // A one-second quota window that admits 40 calls: 200 calls need five windows, and 24 callers keep asking. Without
        // the gate each caller collects its own 429s; with it, one 429 closes the gate for all of them, which wait for it
        // in the call (the Retry-After is under a second, below MaxInActivityWaitSeconds). The baseline runs the same
        // calls in the same test, so a loaded machine slows both alike.
        var ungated = await RunAsync(gated: false);
        var gated = await RunAsync(gated: true);
        output.WriteLine($"429s: {gated} with the gate, {ungated} without");
        Assert.True(gated * 2 <= ungated, $"{gated} 429s with the gate, {ungated} without");
    }

    private async Task<long> RunAsync(bool gated)
    {
        const int calls = 200;
        const int workers = 24;
        const int perWindow = 40;
        var cost = SimulatorResponder.EstimateTokens(Prompt(0)) + MaxTokens;
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            LatencyMs = 20,
            QuotaWindowSeconds = 1,
            TokensPerMinute = perWindow * cost * 60,
        });
        var options = new OpenAIOptions { Endpoint = server.BaseUri, ApiKey = "sim", MaxInActivityWaitSeconds = 5 };
        var invoker = new AzureOpenAIChatInvoker(Microsoft.Extensions.Options.Options.Create(options), gated ? new AzureOpenAIClientFactory() : new UngatedFactory());
        var next = -1;
        var deferred = 0;

        async Task WorkAsync()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < calls)
            {
                var body = JsonSerializer.SerializeToUtf8Bytes(new { messages = new[] { new { role = "user", content = Prompt(index) } }, max_tokens = MaxTokens });
                while (true)
                {
                    var result = await invoker.CompleteAsync("quota", body, default);
                    if (result.IsSuccess)
                    {
                        break;
                    }

                    // What the orchestrator does with a handed-back wait: a timer, then the same line again.
                    Assert.True(result.IsTransient, $"status {result.Status}");
                    Interlocked.Add(ref deferred, result.Deferred ? 1 : 0);
                    await Task.Delay(result.RetryAfter ?? TimeSpan.FromMilliseconds(100));
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(WorkAsync)));

        var stats = server.Stats;
        output.WriteLine($"{(gated ? "gated" : "ungated")}: {stats.Requests} requests, {stats.RateLimited} 429s, {deferred} deferred by the gate");
        Assert.Equal(calls, stats.Succeeded);
        Assert.Equal(calls + stats.RateLimited, stats.Requests);
        return stats.RateLimited;
    }

    /// <summary>The same client, retry policy and timeout, without the throttle gate in its pipeline.</summary>
    private sealed class UngatedFactory : AzureOpenAIClientFactory
    {
        public override global::Azure.AI.OpenAI.AzureOpenAIClient Create(OpenAIOptions options)
            => Create(options, new global::Azure.AI.OpenAI.AzureOpenAIClientOptions
            {
                RetryPolicy = new ThrottleAwareRetryPolicy(options.MaxRetries, TimeSpan.FromSeconds(options.MaxInActivityWaitSeconds)),
                NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
            });
    }

    private static string Prompt(int index) => $"Gate test prompt {index:D4}.";
}
