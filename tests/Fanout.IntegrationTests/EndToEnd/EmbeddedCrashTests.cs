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
/// The README's defaults: no storage connection string, so each host starts (or adopts) the embedded Azurite of its
/// data folder. The host is killed with SIGKILL alone, as a user's <c>kill -9</c> does, and started again; or the host
/// and its Azurite together, as a power loss does.
/// </summary>
public sealed class EmbeddedCrashTests(ITestOutputHelper output)
{
    private const int Count = 600;
    private const int Cap = 20;

    // Test code, not orchestrator code: the two crash tests of this class run one after the other, and share one reference.
    private static readonly SemaphoreSlim ReferenceGate = new(1, 1);
    private static Run? _reference;

    [Fact]
    public async Task Three_kills_of_the_host_on_embedded_defaults_lose_nothing_and_never_run_two_azurites()
    {
        var reference = await ReferenceAsync();
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 100, DeterministicResponses = true });
        var jsonl = Prompts();
        var random = new Random();
        var killPoints = Enumerable.Range(1, 3).Select(k => (Count * k / 4) + random.Next(-Count / 20, Count / 20)).ToArray();
        var crashed = await RunAsync(simulator, jsonl, killPoints, killAzuriteToo: false);

        var stats = simulator.Stats.Snapshot();
        output.WriteLine($"N={Count} C={Cap}: uninterrupted {reference.Wall.TotalSeconds:F1} s, with 3 kills {crashed.Wall.TotalSeconds:F1} s; " +
            $"kills at {string.Join(", ", killPoints)} answers; duplicates {stats.DuplicatePrompts}; peak concurrency {stats.PeakConcurrency}");
        output.WriteLine($"stall per crash (restart to first new answer): {string.Join(", ", crashed.Stalls.Select(s => $"{s.TotalSeconds:F1} s"))}; " +
            $"host start {string.Join(", ", crashed.Starts.Select(s => $"{s.TotalSeconds:F1} s"))}");
        output.WriteLine($"time lost per crash (wall with kills - uninterrupted wall) / 3: {(crashed.Wall - reference.Wall).TotalSeconds / 3:F1} s");
        output.WriteLine($"Azurite processes on the folder: at most {crashed.MaxAzurites} at once, {crashed.AzuritePids} in all; final stop {crashed.Shutdown.TotalSeconds:F1} s");

        AssertSameOutput(reference, crashed);
        Assert.Equal(Count, stats.DistinctPrompts);
        Assert.InRange(stats.PeakConcurrency, 1, Cap);
        Assert.Equal(1, crashed.MaxAzurites);
        Assert.Equal(1, crashed.AzuritePids); // every restart adopted the same Azurite
    }

    [Fact]
    public async Task Power_loss_of_host_and_azurite_together_keeps_accepted_batches_and_finishes_them()
    {
        var reference = await ReferenceAsync();
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 100, DeterministicResponses = true });
        var jsonl = Prompts();
        var crashed = await RunAsync(simulator, jsonl, killAt: [Count / 3, 2 * Count / 3], killAzuriteToo: true);

        var stats = simulator.Stats.Snapshot();
        output.WriteLine($"power loss x2 at {Count / 3} and {2 * Count / 3} answers: wall {crashed.Wall.TotalSeconds:F1} s (uninterrupted {reference.Wall.TotalSeconds:F1} s); " +
            $"answers redone {stats.DuplicatePrompts}; a batch submitted right before each loss survived: {crashed.LateBatchesSurvived}/2; " +
            $"stalls {string.Join(", ", crashed.Stalls.Select(s => $"{s.TotalSeconds:F1} s"))}");

        AssertSameOutput(reference, crashed);
        Assert.Equal(2, crashed.LateBatchesSurvived);
        Assert.Equal(Count + 10, stats.DistinctPrompts); // and the 5 prompts of each late batch
    }

    [Fact]
    public async Task Ctrl_c_with_a_batch_running_stops_within_the_shutdown_bound_and_the_batch_resumes()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 100, DeterministicResponses = true });
        var dataDirectory = Path.Combine(Path.GetTempPath(), "fanout-shutdown-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Host:DataDirectory"] = dataDirectory,
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Host:WatchBlobs"] = "false",
            ["Fanout:Host:ShutdownTimeout"] = "00:00:08",
        };
        var host = await HostProcess.StartAsync(settings);
        try
        {
            var id = await SubmitAsync(host, FanoutTestApp.Jsonl(300, i => $"shutdown prompt {i}"), "shutdown");
            while (simulator.Stats.Succeeded < 100)
            {
                await Task.Delay(20);
            }

            var took = await host.InterruptAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"Ctrl+C (SIGINT; SIGTERM where the test runs with SIGINT ignored) with {Cap} calls in flight: the host exited in {took.TotalSeconds:F1} s (bound 8 s + 5 s backstop)");
            Assert.InRange(took, TimeSpan.Zero, TimeSpan.FromSeconds(8 + 5 + 10));
            Assert.True(await AzuriteWatch.WaitUntilNoneAsync(dataDirectory, TimeSpan.FromSeconds(20)), "Azurite outlived a stopped host");
            await host.DisposeAsync();

            host = await HostProcess.StartAsync(settings);
            await WaitCompletedAsync(host, id, TimeSpan.FromMinutes(4));
            var lines = (await host.Http.GetStringAsync($"/api/batches/{id}/results")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(300, lines.Length);
            Assert.All(lines, l => Assert.Contains("\"status_code\":200", l, StringComparison.Ordinal));
            await host.InterruptAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await host.DisposeAsync();
            await AzuriteWatch.RemoveAsync(dataDirectory);
        }
    }

    private static void AssertSameOutput(Run reference, Run crashed)
    {
        Assert.Equal(Count, reference.Output.Count(b => b == (byte)'\n'));
        var expectedLines = System.Text.Encoding.UTF8.GetString(reference.Output).Split('\n');
        var actualLines = System.Text.Encoding.UTF8.GetString(crashed.Output).Split('\n');
        var differing = expectedLines.Zip(actualLines).Where(p => p.First != p.Second).Take(3).Select(p => $"expected {p.First}\n  actual {p.Second}").ToList();
        Assert.True(differing.Count == 0, "Lines differ after the crashes:\n" + string.Join("\n", differing) + "\nHost logs:\n" + crashed.Logs);
        Assert.Equal(reference.Output, crashed.Output);
    }

    private static byte[] Prompts() => FanoutTestApp.Jsonl(Count, i => $"embedded crash prompt {i}");

    /// <summary>
    /// The uninterrupted run both crash tests compare with, run once for the class: the simulator's answers are
    /// deterministic (a function of the prompt), so a run on another simulator instance gives the same bytes.
    /// </summary>
    private async Task<Run> ReferenceAsync()
    {
        await ReferenceGate.WaitAsync();
        try
        {
            if (_reference is null)
            {
                await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 100, DeterministicResponses = true });
                _reference = await RunAsync(simulator, Prompts(), killAt: [], killAzuriteToo: false);
            }

            return _reference;
        }
        finally
        {
            ReferenceGate.Release();
        }
    }

    private async Task<Run> RunAsync(SimulatorServer simulator, byte[] jsonl, int[] killAt, bool killAzuriteToo)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "fanout-embedded-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Host:DataDirectory"] = dataDirectory,
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Host:WatchBlobs"] = "false",
        };
        var stopwatch = Stopwatch.StartNew();
        var logs = new System.Text.StringBuilder();
        var stalls = new List<TimeSpan>();
        var starts = new List<TimeSpan>();
        var lateBatches = new List<string>();
        var watch = new AzuriteWatch(dataDirectory);
        var host = await HostProcess.StartAsync(settings);
        try
        {
            var id = await SubmitAsync(host, jsonl, "embedded-crash-main");
            foreach (var point in killAt)
            {
                while (simulator.Stats.Succeeded < point)
                {
                    await Task.Delay(20);
                }

                if (killAzuriteToo)
                {
                    // A batch accepted just before the power goes must still be there afterwards.
                    lateBatches.Add(await SubmitAsync(host, FanoutTestApp.Jsonl(5, i => $"late prompt {lateBatches.Count}-{i}"), $"late-{lateBatches.Count}"));
                    foreach (var pid in AzuriteWatch.Processes(dataDirectory))
                    {
                        using var azurite = Process.GetProcessById(pid);
                        azurite.Kill();
                    }
                }

                await host.KillHostOnlyAsync();
                var answered = simulator.Stats.Succeeded;
                logs.AppendLine($"--- host pid {host.ProcessId}, killed ---").AppendLine(host.Output);
                await host.DisposeAsync();

                var restart = Stopwatch.StartNew();
                host = await HostProcess.StartAsync(settings);
                starts.Add(restart.Elapsed);
                while (simulator.Stats.Succeeded <= answered && restart.Elapsed < TimeSpan.FromMinutes(5))
                {
                    await Task.Delay(20);
                }

                stalls.Add(restart.Elapsed);
                output.WriteLine($"killed after {answered} answers{(killAzuriteToo ? " (with Azurite)" : string.Empty)}; host up in {starts[^1].TotalSeconds:F1} s, next answer after {restart.Elapsed.TotalSeconds:F1} s");
            }

            await WaitCompletedAsync(host, id, TimeSpan.FromMinutes(6));
            var bytes = await host.Http.GetByteArrayAsync($"/api/batches/{id}/results");
            var survived = 0;
            foreach (var late in lateBatches)
            {
                using var response = await host.Http.GetAsync($"/api/batches/{late}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    await WaitCompletedAsync(host, late, TimeSpan.FromMinutes(2));
                    survived++;
                }
            }

            var wall = stopwatch.Elapsed;
            logs.AppendLine($"--- host pid {host.ProcessId} ---").AppendLine(host.Output);
            var shutdown = await host.InterruptAsync(TimeSpan.FromSeconds(60));

            // Nothing the host started outlives it: its Azurite stops with the last host.
            Assert.True(await AzuriteWatch.WaitUntilNoneAsync(dataDirectory, TimeSpan.FromSeconds(30)), "Azurite still runs after the host stopped");
            await watch.DisposeAsync();
            return new Run(bytes, wall, logs.ToString(), stalls, starts, watch.MaxAtOnce, watch.Seen.Count, survived, shutdown);
        }
        finally
        {
            await host.DisposeAsync();
            await watch.DisposeAsync();
            await AzuriteWatch.RemoveAsync(dataDirectory);
        }
    }

    private static async Task<string> SubmitAsync(HostProcess host, byte[] jsonl, string key)
    {
        using var content = new ByteArrayContent(jsonl);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/batches?maxConcurrency={Cap}") { Content = content };
        request.Headers.Add("Idempotency-Key", key);
        using var submit = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        return JsonDocument.Parse(await submit.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task WaitCompletedAsync(HostProcess host, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var batch = JsonDocument.Parse(await host.Http.GetStringAsync($"/api/batches/{id}")).RootElement;
            if (batch.GetProperty("status").GetString() == "completed")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not complete: {batch}\n{host.Output}");
            await Task.Delay(200);
        }
    }

    private sealed record Run(
        byte[] Output, TimeSpan Wall, string Logs, List<TimeSpan> Stalls, List<TimeSpan> Starts, int MaxAzurites, int AzuritePids,
        int LateBatchesSurvived, TimeSpan Shutdown);
}
