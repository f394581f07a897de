using Fanout.Core.Webhooks;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Fanout.Tests.Webhooks;

public sealed class WebhookConfigurationTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public void Receivers_are_read_with_their_event_filters_as_a_list_or_comma_separated()
    {
        var options = Read(new()
        {
            ["Fanout:Webhooks:0:Url"] = "https://example.test/hook",
            ["Fanout:Webhooks:0:Secret"] = Secret,
            ["Fanout:Webhooks:1:Url"] = "http://127.0.0.1:9000/a",
            ["Fanout:Webhooks:1:Secret"] = Secret,
            ["Fanout:Webhooks:1:Events"] = "batch.failed, batch.cancelled",
            ["Fanout:Webhooks:2:Url"] = "http://127.0.0.1:9000/b",
            ["Fanout:Webhooks:2:Secret"] = Secret,
            ["Fanout:Webhooks:2:Events:0"] = "batch.completed",
        });

        Assert.Empty(options.Errors);
        Assert.Equal([0, 1, 2], options.Endpoints.Select(e => e.Index));
        Assert.True(options.Endpoints[0].Wants(WebhookEventTypes.Completed));
        Assert.False(options.Endpoints[1].Wants(WebhookEventTypes.Completed));
        Assert.True(options.Endpoints[1].Wants(WebhookEventTypes.Cancelled));
        Assert.True(options.Endpoints[2].Wants(WebhookEventTypes.Completed));
        Assert.False(options.Endpoints[2].Wants(WebhookEventTypes.Failed));
        Assert.Equal(WebhookOptions.DefaultRetryDelays, options.RetryDelays);
    }

    [Fact]
    public void The_default_schedule_retries_within_10_s_then_within_a_further_60_s_then_for_at_least_a_day()
    {
        var delays = WebhookOptions.DefaultRetryDelays;

        Assert.True(delays[0] <= TimeSpan.FromSeconds(10));
        Assert.True(delays[1] <= TimeSpan.FromSeconds(60));
        Assert.True(delays.Skip(1).Zip(delays.Skip(2)).All(p => p.Second >= p.First), "the backoff shrinks");
        Assert.True(delays.Aggregate(TimeSpan.Zero, (a, b) => a + b) >= TimeSpan.FromHours(24));
    }

    [Theory]
    [InlineData("Url", "ftp://x/hook", "Fanout:Webhooks:3:Url")]
    [InlineData("Secret", "hunter2", "Fanout:Webhooks:3:Secret")]
    [InlineData("Events", "batch.done", "Fanout:Webhooks:3:Events")]
    public void A_bad_setting_is_reported_with_its_key(string setting, string value, string key)
    {
        var values = new Dictionary<string, string?>
        {
            ["Fanout:Webhooks:3:Url"] = "https://example.test/hook",
            ["Fanout:Webhooks:3:Secret"] = Secret,
        };
        values[$"Fanout:Webhooks:3:{setting}"] = value;

        var options = Read(values);

        Assert.Contains(options.Errors, e => e.StartsWith(key, StringComparison.Ordinal));
        Assert.Empty(options.Endpoints);
    }

    [Fact]
    public void The_retry_schedule_and_timeout_are_settable()
    {
        var options = Read(new() { ["Fanout:Webhooks:RetryDelaysSeconds"] = "1, 2.5,60", ["Fanout:Webhooks:TimeoutSeconds"] = "3" });

        Assert.Empty(options.Errors);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(60)], options.RetryDelays);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Timeout);
    }

    private static WebhookOptions Read(Dictionary<string, string?> values)
    {
        var options = new WebhookOptions();
        WebhookConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), options);
        return options;
    }
}
