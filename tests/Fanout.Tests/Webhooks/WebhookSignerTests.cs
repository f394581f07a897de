using System.Text.Json;
using Fanout.Core.Service;
using Fanout.Core.Webhooks;
using Xunit;

namespace Fanout.Tests.Webhooks;

public sealed class WebhookSignerTests
{
    // The test vector published with the Standard Webhooks specification (and its reference libraries).
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private const string SpecPayload = "{\"test\": 2432232314}";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    [Fact]
    public void Signing_the_spec_test_vector_gives_the_published_signature()
    {
        var signature = WebhookSigner.Sign(SpecSecret, SpecId, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecPayload);

        Assert.Equal(SpecSignature, signature);
    }

    [Theory]
    [InlineData(SpecSecret, true)]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false)]
    [InlineData("whsec_not base64!", false)]
    [InlineData("whsec_c2hvcnQ=", false)]
    [InlineData(null, false)]
    public void A_secret_is_whsec_and_base64_of_24_to_64_bytes(string? secret, bool valid)
        => Assert.Equal(valid, WebhookSigner.IsValidSecret(secret));

    [Fact]
    public void The_event_has_OpenAIs_batch_event_shape_and_one_id_per_batch_and_type()
    {
        var ev = WebhookEvent.For("batch_1", WebhookEventTypes.Completed, 1764000000);

        var json = JsonSerializer.Serialize(ev, ServiceJson.Options);

        Assert.Equal($"{{\"id\":\"{ev.Id}\",\"object\":\"event\",\"type\":\"batch.completed\",\"created_at\":1764000000,\"data\":{{\"id\":\"batch_1\"}}}}", json);
        Assert.StartsWith("evt_", ev.Id, StringComparison.Ordinal);
        Assert.Equal(ev.Id, WebhookEvent.For("batch_1", WebhookEventTypes.Completed, 1).Id);
        Assert.NotEqual(ev.Id, WebhookEvent.For("batch_1", WebhookEventTypes.Cancelled, 1764000000).Id);
        Assert.NotEqual(ev.Id, WebhookEvent.For("batch_2", WebhookEventTypes.Completed, 1764000000).Id);
    }

    [Theory]
    [InlineData("completed", "batch.completed")]
    [InlineData("failed", "batch.failed")]
    [InlineData("cancelled", "batch.cancelled")]
    [InlineData("expired", "batch.expired")]
    [InlineData("in_progress", null)]
    public void Only_final_statuses_have_an_event(string status, string? type) => Assert.Equal(type, WebhookEventTypes.Of(status));
}
