using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.EndToEnd;

/// <summary>
/// The host as a separate process on Azurite, killed with SIGKILL mid-batch and started again: the batch completes with
/// output byte-identical to an uninterrupted run and no line lost.
/// </summary>
public sealed class CrashResumeTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    // One case: three kills of a 600-line batch cover what a single kill of a smaller one did (each kill is a full
    // crash and resume); EmbeddedCrashTests does the same on the README's defaults.
    [Theory]
    [InlineData(600, 20, 3)]
    public async Task Host_killed_mid_batch_resumes_with_byte_identical_output(int count, int cap, int kills)
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 100, DeterministicResponses = true });
        var jsonl = FanoutTestApp.Jsonl(count, i => $"crash test prompt {i}");
        var key = Guid.NewGuid().ToString("N");

        var reference = await RunAsync(simulator, jsonl, key, cap, []);
        simulator.ResetStats();
        var random = new Random(count);
        var killPoints = Enumerable.Range(1, kills).Select(k => (count * k / (kills + 1)) + random.Next(-count / 20, count / 20)).ToArray();
        var crashed = await RunAsync(simulator, jsonl, key, cap, killPoints);

        var stats = simulator.Stats.Snapshot();
        output.WriteLine($"N={count} C={cap} kills at {string.Join(", ", killPoints)} completed lines: uninterrupted {reference.Wall.TotalSeconds:F1} s, crashed {crashed.Wall.TotalSeconds:F1} s; " +
            $"simulator requests {stats.Requests}, duplicates {stats.DuplicatePrompts} ({(double)stats.DuplicatePrompts / kills:F1} per crash), peak concurrency {stats.PeakConcurrency}");
        Assert.Equal(count, reference.Output.Count(b => b == (byte)'\n'));
        // A line that lost its result is run again before finalize (and the output still matches); say so when it happens.
        var repairs = crashed.Logs.Split('\n')
            .Where(l => l.Contains("no stored result", StringComparison.Ordinal) || l.Contains("came back with the result", StringComparison.Ordinal))
            .ToList();
        foreach (var repaired in repairs)
        {
            output.WriteLine(repaired.Trim());
        }

        if (repairs.Count > 0)
        {
            output.WriteLine("Host logs:\n" + crashed.Logs);
        }

        var expectedLines = System.Text.Encoding.UTF8.GetString(reference.Output).Split('\n');
        var actualLines = System.Text.Encoding.UTF8.GetString(crashed.Output).Split('\n');
        var differing = expectedLines.Zip(actualLines).Where(p => p.First != p.Second).Take(3).Select(p => $"expected {p.First}\n  actual {p.Second}").ToList();
        Assert.True(differing.Count == 0, "Lines differ after the crashes:\n" + string.Join("\n", differing) + "\nHost logs:\n" + crashed.Logs);
        Assert.Equal(reference.Output, crashed.Output);
        Assert.Equal(count, stats.DistinctPrompts);
        Assert.InRange(stats.PeakConcurrency, 1, cap);
    }

    private async Task<(byte[] Output, TimeSpan Wall, string Logs)> RunAsync(SimulatorServer simulator, byte[] jsonl, string key, int cap, int[] killAt)
    {
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Fanout:Storage:InputContainer"] = AzuriteFixture.UniqueContainerName("in"),
            ["Fanout:Storage:OutputContainer"] = AzuriteFixture.UniqueContainerName("out"),
            ["Fanout:Storage:WorkContainer"] = AzuriteFixture.UniqueContainerName("work"),
            ["Fanout:Durable:TaskHubName"] = AzuriteFixture.UniqueTaskHubName("Crash"),
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Host:WatchBlobs"] = "false",
        };
        var stopwatch = Stopwatch.StartNew();
        var logs = new System.Text.StringBuilder();
        var host = await HostProcess.StartAsync(settings);
        try
        {
            using var content = new ByteArrayContent(jsonl);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/batches?maxConcurrency={cap}") { Content = content };
            request.Headers.Add("Idempotency-Key", key);
            using var submit = await host.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
            var id = JsonDocument.Parse(await submit.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

            foreach (var point in killAt)
            {
                while (simulator.Stats.Succeeded < point)
                {
                    await Task.Delay(20);
                }

                await host.KillAsync();
                logs.AppendLine($"--- host pid {host.ProcessId}, killed ---").AppendLine(host.Output);
                output.WriteLine($"killed host pid {host.ProcessId} after {simulator.Stats.Succeeded} answers");
                await host.DisposeAsync();
                host = await HostProcess.StartAsync(settings);
            }

            var deadline = DateTime.UtcNow.AddMinutes(6);
            while (true)
            {
                var batch = JsonDocument.Parse(await host.Http.GetStringAsync($"/api/batches/{id}")).RootElement;
                if (batch.GetProperty("status").GetString() == "completed")
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not complete: {batch}\n{host.Output}");
                await Task.Delay(200);
            }

            var bytes = await host.Http.GetByteArrayAsync($"/api/batches/{id}/results");
            logs.AppendLine($"--- host pid {host.ProcessId} ---").AppendLine(host.Output);
            return (bytes, stopwatch.Elapsed, logs.ToString());
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
