using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Scale;

/// <summary>
/// Issue 16: three portable hosts on one Azurite and one task hub share the work through DurableTask.AzureStorage's
/// partition leases. The cap of a batch holds across them, a host killed with SIGKILL is taken over, and a blob dropped
/// while all of them watch starts one batch.
/// </summary>
public sealed class MultiHostTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Hosts = 3;
    private const int Partitions = 4;

    [Fact]
    public async Task Three_hosts_share_a_batch_under_its_cap_and_finish_it_when_one_is_killed()
    {
        const int count = 1500;
        const int cap = 30;
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 100, DeterministicResponses = true });
        var jsonl = FanoutTestApp.Jsonl(count, i => $"multi-host prompt {i}");
        var key = Guid.NewGuid().ToString("N");
        var reference = await RunOnOneHostAsync(simulator, jsonl, cap, key);
        simulator.ResetStats();

        var settings = HostGroup.SharedSettings(azurite, simulator.BaseUri, "Multi");
        settings["Fanout:Durable:PartitionCount"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Fanout:Host:WatchBlobs"] = "false";
        await using var group = await HostGroup.StartAsync(Hosts, settings);
        var workers = new Dictionary<int, string>();
        foreach (var host in group.Hosts)
        {
            workers[host.ProcessId] = (await HostGroup.WorkerAsync(host)).GetProperty("id").GetString()!;
        }

        Assert.Equal(Hosts, workers.Values.Distinct().Count());

        var wall = Stopwatch.StartNew();
        var id = await HostGroup.SubmitAsync(group.Hosts[0], jsonl, cap, key);
        var progress = new List<(TimeSpan At, long Succeeded)>();
        using var sampling = new CancellationTokenSource();
        var sampler = SampleAsync(simulator, wall, progress, sampling.Token);

        // Kill the host that owns the partition of the chunk orchestration running now (chunks of 500 lines run one
        // after another under a cap of 30): the batch can only go on once another host has taken that partition over.
        while (simulator.Stats.Succeeded < 600)
        {
            await Task.Delay(20);
        }

        var running = $"{id}~c{(int)(simulator.Stats.Succeeded / 500):D5}";
        var partition = HostGroup.PartitionOf(running, Partitions);
        var owners = await group.PartitionOwnersAsync(azurite.ConnectionString);
        var victimWorker = owners[partition] ?? throw new InvalidOperationException($"Partition {partition} has no owner: {string.Join(", ", owners)}");
        var victim = group.Hosts.Single(h => workers[h.ProcessId] == victimWorker);
        var shares = new Dictionary<string, long>();
        foreach (var host in group.Hosts)
        {
            shares[workers[host.ProcessId]] = (await HostGroup.WorkerAsync(host)).GetProperty("lines_finished").GetInt64();
        }

        var killedAt = wall.Elapsed;
        await group.KillAsync(victim);
        var victimPartitions = owners.Where(o => o.Value == victimWorker).Select(o => o.Key).ToList();
        output.WriteLine($"killed {victimWorker} (partitions {string.Join(", ", victimPartitions)}, running {running} on {partition}) at {killedAt.TotalSeconds:F1} s after {simulator.Stats.Succeeded} answers");

        TimeSpan? takenOver = null;
        while (takenOver is null && wall.Elapsed - killedAt < TimeSpan.FromMinutes(2))
        {
            var now = await group.PartitionOwnersAsync(azurite.ConnectionString);
            if (victimPartitions.All(p => now[p] is { } owner && owner != victimWorker))
            {
                takenOver = wall.Elapsed - killedAt;
                output.WriteLine($"partitions taken over after {takenOver.Value.TotalSeconds:F1} s: {string.Join(", ", now.Select(o => $"{o.Key}={o.Value}"))}");
            }
            else
            {
                await Task.Delay(100);
            }
        }

        Assert.True(takenOver is not null, "The killed host's partitions were not taken over within 2 minutes.\n" + group.Output);
        await HostGroup.WaitCompletedAsync(group.Hosts[0], id, TimeSpan.FromMinutes(4), () => group.Output);
        wall.Stop();
        await sampling.CancelAsync();
        await sampler;
        foreach (var host in group.Hosts)
        {
            shares[workers[host.ProcessId]] = (await HostGroup.WorkerAsync(host)).GetProperty("lines_finished").GetInt64();
        }

        var crashed = await group.Hosts[0].Http.GetByteArrayAsync($"/api/batches/{id}/results");
        var stats = simulator.Stats.Snapshot();
        var afterTakeover = progress.FirstOrDefault(p => p.At > killedAt + takenOver!.Value && p.Succeeded > progress.Last(q => q.At <= killedAt + takenOver.Value).Succeeded);
        output.WriteLine($"N={count} C={cap} hosts={Hosts} partitions={Partitions}: wall {wall.Elapsed.TotalSeconds:F1} s (one host: {reference.Wall.TotalSeconds:F1} s); " +
            $"lines per host {string.Join(", ", shares.Select(s => $"{s.Key}={s.Value} ({100.0 * s.Value / count:F0}%)"))} (the killed host's until its kill); " +
            $"kill → partitions taken over {takenOver!.Value.TotalSeconds:F1} s, kill → first line finished after the takeover {(afterTakeover.At - killedAt).TotalSeconds:F1} s; " +
            $"simulator requests {stats.Requests}, duplicates {stats.DuplicatePrompts}, peak concurrency {stats.PeakConcurrency}");

        Assert.All(shares, s => Assert.True(s.Value > 0, $"Host {s.Key} ran no line: {string.Join(", ", shares)}"));
        Assert.Equal(count, crashed.Count(b => b == (byte)'\n'));
        var differing = Encoding.UTF8.GetString(reference.Output).Split('\n').Zip(Encoding.UTF8.GetString(crashed).Split('\n'))
            .Where(p => p.First != p.Second).Take(3).Select(p => $"expected {p.First}\n  actual {p.Second}").ToList();
        Assert.True(differing.Count == 0, "Lines differ from the one-host run:\n" + string.Join("\n", differing) + "\n" + group.Output);
        Assert.Equal(reference.Output, crashed);
        Assert.Equal(count, stats.DistinctPrompts);
        Assert.InRange(stats.PeakConcurrency, 1, cap);
    }

    [Fact]
    public async Task A_blob_dropped_while_three_hosts_watch_starts_one_batch()
    {
        const int count = 60;
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 20, DeterministicResponses = true });
        var settings = HostGroup.SharedSettings(azurite, simulator.BaseUri, "Drop");
        settings["Fanout:Host:WatchBlobs"] = "true";
        settings["Fanout:Host:BlobPollMilliseconds"] = "100";
        settings["Logging:LogLevel:Fanout.Host.Services.BlobDropWatcher"] = "Information";
        await using var group = await HostGroup.StartAsync(Hosts, settings);

        var input = new BlobContainerClient(azurite.ConnectionString, settings["Fanout:Storage:InputContainer"]);
        await input.CreateIfNotExistsAsync();
        await input.UploadBlobAsync("dropped.jsonl", BinaryData.FromBytes(FanoutTestApp.Jsonl(count, i => $"dropped prompt {i}")));

        var host = group.Hosts[0];
        string? id = null;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (id is null)
        {
            var list = JsonDocument.Parse(await host.Http.GetStringAsync("/api/batches")).RootElement.GetProperty("data");
            id = list.EnumerateArray().Select(b => b.GetProperty("id").GetString()).FirstOrDefault();
            Assert.True(id is not null || DateTime.UtcNow < deadline, "No batch started from the dropped blob.\n" + group.Output);
            await Task.Delay(100);
        }

        await HostGroup.WaitCompletedAsync(host, id!, TimeSpan.FromMinutes(2), () => group.Output);

        // Several more polls of every host: a late second start would show now.
        await Task.Delay(1000);
        var starts = group.Hosts.Select(h => h.Output.Split('\n').Count(l => l.Contains("dropped.jsonl → batch", StringComparison.Ordinal))).ToList();
        var batches = JsonDocument.Parse(await host.Http.GetStringAsync("/api/batches")).RootElement.GetProperty("data").GetArrayLength();
        var stats = simulator.Stats.Snapshot();
        output.WriteLine($"batch {id}: starts per host {string.Join(", ", starts)}, batches listed {batches}, simulator requests {stats.Requests}");
        Assert.Equal(1, starts.Sum());
        Assert.Equal(1, batches);
        Assert.Equal(count, stats.Requests);
        Assert.Equal(count, (await host.Http.GetStringAsync($"/api/batches/{id}/results")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static async Task SampleAsync(SimulatorServer simulator, Stopwatch wall, List<(TimeSpan At, long Succeeded)> progress, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            lock (progress)
            {
                progress.Add((wall.Elapsed, simulator.Stats.Succeeded));
            }

            try
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<(byte[] Output, TimeSpan Wall)> RunOnOneHostAsync(SimulatorServer simulator, byte[] jsonl, int cap, string key)
    {
        var settings = HostGroup.SharedSettings(azurite, simulator.BaseUri, "Single");
        settings["Fanout:Host:WatchBlobs"] = "false";
        var wall = Stopwatch.StartNew();
        await using var host = await HostProcess.StartAsync(settings);
        var id = await HostGroup.SubmitAsync(host, jsonl, cap, key);
        await HostGroup.WaitCompletedAsync(host, id, TimeSpan.FromMinutes(3), () => host.Output);
        return (await host.Http.GetByteArrayAsync($"/api/batches/{id}/results"), wall.Elapsed);
    }
}
