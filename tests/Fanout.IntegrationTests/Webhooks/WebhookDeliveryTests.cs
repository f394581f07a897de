using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Webhooks;

/// <summary>
/// A batch's webhook event through the real orchestrator, finalize, delivery orchestration and activity, to a receiver on
/// a loopback port: at-least-once with one event id, signed so that an implementation of our own (not the package Fanout
/// signs with) verifies it, and never holding the batch back.
/// </summary>
public sealed class WebhookDeliveryTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task A_receiver_that_fails_twice_then_succeeds_gets_one_event_id_on_three_signed_attempts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = n => n switch { 1 => 500, 2 => 503, _ => 200 };
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        await using var fanout = await StartAsync(server, receiver, "0.2,0.2,0.2,0.2");

        var input = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(5), 4);
        var meta = await fanout.WaitAsync(input.BatchId, TimeSpan.FromMinutes(2));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        await receiver.WaitForAsync(1, TimeSpan.FromMinutes(1));
        var id = receiver.Requests.First().Headers["webhook-id"];
        try
        {
            await receiver.WaitForAsync(3, TimeSpan.FromMinutes(1));
        }
        catch (OperationCanceledException)
        {
            var state = await fanout.Client.GetInstanceAsync(Fanout.Core.Webhooks.WebhookOrchestrator.InstanceId(id), getInputsAndOutputs: true);
            Assert.Fail($"{receiver.Requests.Count} tries arrived; delivery {state?.RuntimeStatus} {state?.SerializedOutput} {state?.FailureDetails}");
        }

        // The delivery stops at the first 2xx: no fourth try.
        var delivery = await WaitForDeliveryAsync(fanout, receiver.Requests.First().Headers["webhook-id"]);
        Assert.Equal(1, delivery.ReadOutputAs<int>());
        var requests = receiver.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.Headers["webhook-id"]).Distinct());
        foreach (var request in requests)
        {
            Assert.True(IndependentlyVerified(request), $"signature {request.Headers["webhook-signature"]} does not verify");
        }

        var body = JsonDocument.Parse(requests[^1].Body).RootElement;
        Assert.Equal(requests[0].Headers["webhook-id"], body.GetProperty("id").GetString());
        Assert.StartsWith("evt_", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("event", body.GetProperty("object").GetString());
        Assert.Equal("batch.completed", body.GetProperty("type").GetString());
        Assert.Equal(input.BatchId, body.GetProperty("data").GetProperty("id").GetString());
        Assert.True(body.GetProperty("created_at").GetInt64() > 0);
    }

    [Fact]
    public async Task A_receiver_that_never_answers_does_not_hold_back_the_batchs_completed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => -1;
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        await using var fanout = await StartAsync(server, receiver, "60", timeoutSeconds: "120");

        var first = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(5), 4);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fanout.WaitAsync(first.BatchId, TimeSpan.FromMinutes(2))).RuntimeStatus);
        await receiver.WaitForAsync(1, TimeSpan.FromMinutes(1));

        // While the first event's try hangs at the receiver, another batch runs and completes, with its own event.
        var second = await fanout.StartBatchAsync(FanoutTestApp.Jsonl(5), 4);
        var meta = await fanout.WaitAsync(second.BatchId, TimeSpan.FromMinutes(2));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        await receiver.WaitForAsync(2, TimeSpan.FromMinutes(1));
        var got = await fanout.Api.GetAsync(first.BatchId, fanout.Client, CancellationToken.None);
        Assert.Equal("completed", got.Value!.Status);

        // Neither try has an answer yet: the batches did not wait for them.
        var delivery = await fanout.Client.GetInstanceAsync(
            Fanout.Core.Webhooks.WebhookOrchestrator.InstanceId(receiver.Requests.First().Headers["webhook-id"]));
        Assert.Equal(OrchestrationRuntimeStatus.Running, delivery!.RuntimeStatus);
        output.WriteLine($"first try still unanswered while both batches are completed ({receiver.Requests.Count} tries received)");
    }

    /// <summary>Standard Webhooks verification written here from the spec, independent of the StandardWebhooks package.</summary>
    internal static bool IndependentlyVerified(WebhookReceiver.Received request)
    {
        var key = Convert.FromBase64String(Secret["whsec_".Length..]);
        var signed = $"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.{request.Body}";
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(signed)));
        return request.Headers["webhook-signature"].Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), Encoding.ASCII.GetBytes(expected)));
    }

    private static async Task<OrchestrationMetadata> WaitForDeliveryAsync(FanoutTestApp fanout, string eventId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        return await fanout.Client.WaitForInstanceCompletionAsync(Fanout.Core.Webhooks.WebhookOrchestrator.InstanceId(eventId), getInputsAndOutputs: true, cts.Token);
    }

    private Task<FanoutTestApp> StartAsync(SimulatorServer server, WebhookReceiver receiver, string delays, string timeoutSeconds = "5")
        => FanoutTestApp.StartAsync(azurite.ConnectionString, server, DurableBackendKind.Memory, output, new Dictionary<string, string?>
        {
            ["Fanout:Webhooks:0:Url"] = receiver.Url.ToString(),
            ["Fanout:Webhooks:0:Secret"] = Secret,
            ["Fanout:Webhooks:0:Events"] = "batch.completed,batch.failed",
            ["Fanout:Webhooks:RetryDelaysSeconds"] = delays,
            ["Fanout:Webhooks:TimeoutSeconds"] = timeoutSeconds,
        });
}
