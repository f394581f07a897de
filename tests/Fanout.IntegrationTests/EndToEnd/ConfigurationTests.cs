using Fanout.IntegrationTests.Infrastructure;
using Xunit;

namespace Fanout.IntegrationTests.EndToEnd;

/// <summary>Bad configuration stops the host at start with one line naming the setting, never a stack trace.</summary>
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Fanout:Batch:ChunkSize", "0", "Fanout:Batch:ChunkSize")]
    [InlineData("Fanout:Batch:ChunkSize", "abc", "Fanout:Batch:ChunkSize")]
    [InlineData("Fanout:Batch:DefaultMaxConcurrency", "5000", "Fanout:Batch:DefaultMaxConcurrency")]
    [InlineData("Fanout:OpenAI:Endpoint", "not a uri", "Fanout:OpenAI:Endpoint")]
    [InlineData("Fanout:OpenAI:TimeoutSeconds", "-1", "Fanout:OpenAI:TimeoutSeconds")]
    [InlineData("Fanout:Durable:PartitionCount", "99", "Fanout:Durable:PartitionCount must be between 1 and 16")]
    [InlineData("Fanout:OpenAI:Pool:0:Deployment", "gpt-4o-mini", "Fanout:OpenAI:Pool:0:Endpoint must be set")]
    [InlineData("Fanout:Durable:TaskHubName", "bad hub!", "Fanout:Durable:TaskHubName must be a task hub name")]
    [InlineData("Fanout:Host:ShutdownTimeout", "00:00:00", "Fanout:Host:ShutdownTimeout")]
    [InlineData("Fanout:Host:BlobPollMilliseconds", "0", "Fanout:Host:BlobPollMilliseconds")]
    [InlineData("Fanout:Pricing:gpt-4o-mini:InputPerMillion", "cheap", "Fanout:Pricing:gpt-4o-mini:InputPerMillion")]
    [InlineData("Fanout:Estimate:DefaultMaxCompletionTokens", "0", "Fanout:Estimate:DefaultMaxCompletionTokens")]
    public async Task Bad_setting_stops_the_host_with_a_message_naming_it(string key, string value, string named)
    {
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Fanout:OpenAI:Endpoint"] = "http://127.0.0.1:9/",
            ["Fanout:Host:WatchBlobs"] = "false",
            [key] = value,
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HostProcess.StartAsync(settings));

        Assert.Contains("exited with 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("Configuration error:", error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Unhandled exception", error.Message, StringComparison.Ordinal);
    }
}
