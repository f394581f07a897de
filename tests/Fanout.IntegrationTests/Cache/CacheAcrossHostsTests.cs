using Fanout.Core.Cache;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator.Options;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Cache;

/// <summary>
/// Two hosts (each its own services: its own in-process joins) on one task hub of the Azure Storage backend on Azurite,
/// sharing containers and the cache: copies of a request running on both are sent once, through the claim in storage.
/// </summary>
public sealed class CacheAcrossHostsTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Copies_running_on_two_hosts_on_one_task_hub_are_called_once()
    {
        await using var simulator = await CacheRun.SimulatorAsync(new SimulatorOptions { LatencyMs = 300 });
        var prefix = Guid.NewGuid().ToString("N")[..10];
        var settings = new Dictionary<string, string?>
        {
            ["Fanout:Storage:InputContainer"] = $"in-{prefix}",
            ["Fanout:Storage:OutputContainer"] = $"out-{prefix}",
            ["Fanout:Storage:WorkContainer"] = $"work-{prefix}",
            ["Fanout:Cache:Container"] = $"cache-{prefix}",
        };
        var hub = AzuriteFixture.UniqueTaskHubName("Cache");
        await using var first = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.AzureStorage, output, settings, d => Share(d, hub, "host-a"));
        await using var second = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.AzureStorage, output, settings, d => Share(d, hub, "host-b"));

        var clock = System.Diagnostics.Stopwatch.StartNew();

        // 6 requests, 10 copies each, spread over 6 chunks of 10 lines that run side by side.
        var jsonl = FanoutTestApp.Jsonl(60, i => $"shared prompt {i % 6}");
        var id = "it_" + Guid.NewGuid().ToString("N")[..12];
        var prepared = await first.Preparer.PrepareAsync(id, new MemoryStream(jsonl), 10, CancellationToken.None);
        await first.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(BatchOrchestrator), new BatchInput(id, "gpt-4o-mini", 60, 0, Prepared: prepared, ChunkSize: 10, MinChunkWindow: 5, Cache: true), new StartOrchestrationOptions(id));
        var run = await CacheRun.FinishedAsync(first, id);
        output.WriteLine($"batch finished {clock.Elapsed.TotalSeconds:F1} s after the hosts started");

        var a = first.Services.GetRequiredService<ResponseCache>();
        var b = second.Services.GetRequiredService<ResponseCache>();
        output.WriteLine($"host a: {a.Misses} called, {a.Hits} copied; host b: {b.Misses} called, {b.Hits} copied; simulator requests {simulator.Stats.Requests}");
        Assert.Equal(6, simulator.Stats.Requests);
        Assert.Equal(6, a.Misses + b.Misses);
        Assert.True(a.Hits + a.Misses > 0 && b.Hits + b.Misses > 0, "Both hosts ran lines of the batch.");
        Assert.Equal(new RequestCounts(60, 60, 0, 54), run.Batch.RequestCounts);
        for (var i = 6; i < 60; i++)
        {
            Assert.Equal(run.Lines[i % 6].GetProperty("response").GetRawText(), run.Lines[i].GetProperty("response").GetRawText());
        }
    }

    private static void Share(DurableBackendOptions durable, string hub, string worker)
    {
        durable.TaskHubName = hub;
        durable.WorkerId = worker;
        durable.PartitionCount = 2;
    }
}
