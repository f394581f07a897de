using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Webhooks;

/// <summary>
/// The host as its own process on Azurite, killed with SIGKILL twice: in the middle of a throttled batch (the counts
/// after the resume are at least what the server saw), and after the batch ended but before its webhook was
/// acknowledged (the restarted host delivers it, with the same webhook-id).
/// </summary>
public sealed class CrashDeliveryTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task Killed_mid_batch_and_before_its_webhook_is_acknowledged_it_counts_what_the_server_saw_and_still_delivers()
    {
        const int count = 150;
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            LatencyMs = 100,
            FailureRate = 0.15,
            FailureStatusCode = 429,
            FailureRetryAfterMs = 300,
            Seed = 5,
        });
        await using var receiver = await WebhookReceiver.StartAsync();
        var acknowledge = false;
        receiver.Answer = _ => Volatile.Read(ref acknowledge) ? 200 : 500;
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Fanout:Storage:InputContainer"] = AzuriteFixture.UniqueContainerName("in"),
            ["Fanout:Storage:OutputContainer"] = AzuriteFixture.UniqueContainerName("out"),
            ["Fanout:Storage:WorkContainer"] = AzuriteFixture.UniqueContainerName("work"),
            ["Fanout:Durable:TaskHubName"] = AzuriteFixture.UniqueTaskHubName("Hook"),
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Host:WatchBlobs"] = "false",
            ["Fanout:Webhooks:0:Url"] = receiver.Url.ToString(),
            ["Fanout:Webhooks:0:Secret"] = Secret,
            ["Fanout:Webhooks:RetryDelaysSeconds"] = "2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2",
        };

        var host = await HostProcess.StartAsync(settings);
        try
        {
            using var content = new ByteArrayContent(FanoutTestApp.Jsonl(count, i => $"crash count prompt {i}"));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
            using var submit = await host.Http.PostAsync("/api/batches?maxConcurrency=10", content);
            Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
            var id = JsonDocument.Parse(await submit.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

            // 1. Killed mid-batch, with calls (and SDK retries waiting out a Retry-After) in flight.
            while (simulator.Stats.Succeeded < count / 3)
            {
                await Task.Delay(20);
            }

            await host.KillAsync();
            output.WriteLine($"killed mid-batch after {simulator.Stats.Succeeded} answers, {simulator.Stats.RateLimited} 429s");
            await host.DisposeAsync();
            host = await HostProcess.StartAsync(settings);
            var batch = await WaitForStatusAsync(host, id, "completed");

            var server = simulator.DeploymentStats()["gpt-4o-mini"];
            var usage = batch.GetProperty("usage_by_deployment").GetProperty("gpt-4o-mini");
            output.WriteLine($"server: {server.Requests} requests, {server.RateLimited} 429s; fanout: {usage.GetProperty("calls")} calls, " +
                $"{usage.GetProperty("rate_limited")} 429s, progress.rate_limited {batch.GetProperty("progress").GetProperty("rate_limited")}");
            Assert.True(usage.GetProperty("calls").GetInt64() >= server.Requests, "calls made before the crash were lost");
            Assert.True(usage.GetProperty("rate_limited").GetInt64() >= server.RateLimited, "429s received before the crash were lost");
            Assert.Equal(usage.GetProperty("rate_limited").GetInt64(), batch.GetProperty("progress").GetProperty("rate_limited").GetInt64());

            // 2. The batch has ended; its event is refused (500) until the host is killed, then acknowledged after the restart.
            await receiver.WaitForAsync(1, TimeSpan.FromMinutes(1));
            await host.KillAsync();
            var before = receiver.Requests.Count;
            Volatile.Write(ref acknowledge, true);
            await host.DisposeAsync();
            host = await HostProcess.StartAsync(settings);
            await receiver.WaitForAsync(before + 1, TimeSpan.FromMinutes(2));

            var tries = receiver.Requests.ToList();
            output.WriteLine($"{before} tries refused before the kill, {tries.Count - before} after the restart");
            Assert.Single(tries.Select(t => t.Headers["webhook-id"]).Distinct());
            Assert.All(tries, t => Assert.True(WebhookDeliveryTests.IndependentlyVerified(t)));
            var ev = JsonDocument.Parse(tries[^1].Body).RootElement;
            Assert.Equal("batch.completed", ev.GetProperty("type").GetString());
            Assert.Equal(id, ev.GetProperty("data").GetProperty("id").GetString());
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
