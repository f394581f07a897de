using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Upstream;

/// <summary>
/// The host as its own process on Azurite (the durable backend), killed with SIGKILL while its batch waits on the Batch
/// API: the restarted host finds the upstream batch it made (its id is in the history) and neither uploads nor creates
/// anything again.
/// </summary>
public sealed class UpstreamCrashTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Killed_during_the_upstream_wait_it_resumes_without_a_second_upload_or_batch()
    {
        const int count = 30;
        await using var simulator = await SimulatorServer.StartAsync(UpstreamOffloadTests.Simulator(turnaroundSeconds: 12));
        var settings = UpstreamOffloadTests.PoolSettings(simulator);
        settings["Fanout:Storage:ConnectionString"] = azurite.ConnectionString;
        settings["Fanout:Storage:InputContainer"] = AzuriteFixture.UniqueContainerName("in");
        settings["Fanout:Storage:OutputContainer"] = AzuriteFixture.UniqueContainerName("out");
        settings["Fanout:Storage:WorkContainer"] = AzuriteFixture.UniqueContainerName("work");
        settings["Fanout:Durable:TaskHubName"] = AzuriteFixture.UniqueTaskHubName("Up");
        settings["Fanout:Host:WatchBlobs"] = "false";

        var host = await HostProcess.StartAsync(settings);
        try
        {
            using var content = new ByteArrayContent(FanoutTestApp.Jsonl(count, i => $"upstream crash prompt {i}"));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
            using var submit = await host.Http.PostAsync("/api/batches?maxConcurrency=8&deadline=10m", content);
            Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
            var id = JsonDocument.Parse(await submit.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

            using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            {
                while (simulator.BatchesCreated == 0)
                {
                    await Task.Delay(50, wait.Token);
                }
            }

            await host.KillAsync();
            output.WriteLine($"killed with {simulator.BatchFileUploads} upload(s) and {simulator.BatchesCreated} upstream batch(es)");
            await host.DisposeAsync();
            host = await HostProcess.StartAsync(settings);

            var batch = await WaitForStatusAsync(host, id, "completed");
            Assert.Equal(1, simulator.BatchFileUploads);
            Assert.Equal(1, simulator.BatchesCreated);
            Assert.Equal(count, batch.GetProperty("lines_by_tier").GetProperty("batch").GetInt64());
            Assert.Equal(0, simulator.DeploymentStats().TryGetValue("paygo", out var paygo) ? paygo.Requests : 0);
            var lines = (await host.Http.GetStringAsync($"/api/batches/{id}/results")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"p-{i}"), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task<JsonElement> WaitForStatusAsync(HostProcess host, string id, string status)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (true)
        {
            var batch = JsonDocument.Parse(await host.Http.GetStringAsync($"/api/batches/{id}")).RootElement.Clone();
            if (batch.GetProperty("status").GetString() == status)
            {
                return batch;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not reach {status}: {batch}\n{host.Output}");
            await Task.Delay(200);
        }
    }
}
