using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.SecondTries;

/// <summary>
/// <c>maxTotalTokens</c> on the portable host as a process, on Azurite, chunked (100 lines a chunk): the batch stops
/// within the stated bound (usage &lt; budget + maxConcurrency × the largest line's tokens), the unsent lines end
/// <c>budget_exceeded</c>, the counts add up, also across a SIGKILL of the host mid-batch.
/// </summary>
public sealed class BudgetTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Cap = 10;

    [Fact]
    public async Task A_budget_stops_the_batch_within_one_window_and_the_unsent_lines_end_budget_exceeded()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 20 });
        await using var host = await HostProcess.StartAsync(SecondTryHost.Settings(azurite.ConnectionString, simulator, "Budget", Chunked));
        const long budget = 2000;

        using var submit = await SecondTryHost.PostJsonlAsync(host.Http, $"/api/batches?maxConcurrency={Cap}&maxTotalTokens={budget}", FanoutTestApp.Jsonl(400, i => $"budget prompt {i}"));

        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        var accepted = await SecondTryHost.JsonAsync(submit);
        Assert.Equal(budget, accepted.GetProperty("max_total_tokens").GetInt64());
        await AssertStoppedWithinTheBoundAsync(host, simulator, accepted.GetProperty("id").GetString()!, 400, budget);
    }

    [Fact]
    public async Task The_budget_holds_when_the_host_is_killed_mid_batch()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 50 });
        var settings = SecondTryHost.Settings(azurite.ConnectionString, simulator, "BudgetKill", Chunked);
        var host = await HostProcess.StartAsync(settings);
        const long budget = 5000;
        try
        {
            var prompts = Enumerable.Range(0, 600).Select(i => $"budget kill prompt {i}").ToArray();
            using var submit = await host.Http.PostAsJsonAsync("/api/batches", new { prompts, maxConcurrency = Cap, maxTotalTokens = budget });
            Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
            var id = (await SecondTryHost.JsonAsync(submit)).GetProperty("id").GetString()!;

            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (simulator.Stats.Succeeded < 120)
            {
                Assert.True(DateTime.UtcNow < deadline, $"No 120 answers within 3 minutes:\n{host.Output}");
                await Task.Delay(20);
            }

            await host.KillAsync();
            output.WriteLine($"killed host pid {host.ProcessId} after {simulator.Stats.Succeeded} answers");
            await host.DisposeAsync();
            host = await HostProcess.StartAsync(settings);

            await AssertStoppedWithinTheBoundAsync(host, simulator, id, 600, budget);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static Dictionary<string, string> Chunked => new() { ["Fanout:Batch:ChunkSize"] = "100" };

    private async Task AssertStoppedWithinTheBoundAsync(HostProcess host, SimulatorServer simulator, string id, int total, long budget)
    {
        var done = await SecondTryHost.WaitAsync(host, id, TimeSpan.FromMinutes(5));
        var lines = SecondTryHost.Lines(await host.Http.GetByteArrayAsync($"/api/batches/{id}/results"));
        var answered = lines.Where(l => l.GetProperty("error").ValueKind == JsonValueKind.Null).ToList();
        var unsent = lines.Where(l => l.GetProperty("error").ValueKind != JsonValueKind.Null).ToList();
        var lineTokens = answered.Select(l => l.GetProperty("response").GetProperty("body").GetProperty("usage").GetProperty("total_tokens").GetInt64()).ToList();
        var largest = lineTokens.Max();
        var usage = done.GetProperty("usage").GetProperty("total_tokens").GetInt64();
        var counts = done.GetProperty("request_counts");
        output.WriteLine($"budget {budget}: usage {usage} (overshoot {usage - budget}, bound {Cap} × {largest} = {Cap * largest}), " +
            $"answered {answered.Count}, budget_exceeded {unsent.Count}, model calls answered {simulator.Stats.Succeeded}");

        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(total, lines.Count);
        Assert.Equal(total, counts.GetProperty("total").GetInt32());
        Assert.Equal(answered.Count, counts.GetProperty("completed").GetInt32());
        Assert.Equal(unsent.Count, counts.GetProperty("failed").GetInt32());
        Assert.Equal(lineTokens.Sum(), usage);
        Assert.InRange(usage, budget, budget + (Cap * largest) - 1);
        Assert.NotEmpty(unsent);
        Assert.All(unsent, l => Assert.Equal("budget_exceeded", l.GetProperty("error").GetProperty("code").GetString()));
    }
}
