using Fanout.IntegrationTests.Infrastructure;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>The in-memory backend on the same TaskHubWorker dispatch.</summary>
public sealed class MemoryBackendTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sliding_window_of_50_activities_completes_on_memory()
    {
        // Arrange
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(2));
        await using DurableTestHost host = await DurableTestHost.StartAsync(
            DurableTestOptions.Memory(), output, TimeSpan.Zero, timeout.Token);

        // Act
        OrchestrationMetadata result = await host.RunAsync(new SlidingWindowInput(Count: 50, Window: 10), timeout.Token);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(SlidingWindowTestOrchestrator.ExpectedSum(50), result.ReadOutputAs<long>());
        Assert.Equal(50, host.Probe.Completed);
        Assert.Empty(host.Problems);
    }
}
