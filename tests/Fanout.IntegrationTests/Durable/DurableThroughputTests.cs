using System.Diagnostics;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>Runs alone, after the parallel tests, so the timings are not skewed by other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DurableThroughputCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Durable throughput";
}

/// <summary>Measures the cost per activity of each backend; prints, never asserts on time.</summary>
[Collection(DurableThroughputCollection.Name)]
public sealed class DurableThroughputTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Theory]
    [InlineData(DurableBackendKind.AzureStorage)]
    [InlineData(DurableBackendKind.Memory)]
    public async Task Throughput_of_200_noop_activities_with_window_50(DurableBackendKind backend)
    {
        // Arrange: a warm-up run takes the worker connection and the first storage round trips out of the timing.
        const int Count = 200;
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(5));
        DurableBackendOptions options = backend == DurableBackendKind.AzureStorage
            ? DurableTestOptions.AzureStorage(azurite.ConnectionString)
            : DurableTestOptions.Memory();
        Stopwatch startup = Stopwatch.StartNew();
        await using DurableTestHost host = await DurableTestHost.StartAsync(options, output, TimeSpan.Zero, timeout.Token);
        OrchestrationMetadata warmUp = await host.RunAsync(new SlidingWindowInput(Count: 10, Window: 10), timeout.Token);
        startup.Stop();

        // Act
        Stopwatch run = Stopwatch.StartNew();
        OrchestrationMetadata result = await host.RunAsync(new SlidingWindowInput(Count, Window: 50), timeout.Token);
        run.Stop();

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, warmUp.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(SlidingWindowTestOrchestrator.ExpectedSum(Count), result.ReadOutputAs<long>());
        output.WriteLine(
            $"{backend}: {Count} no-op activities, window 50: {run.Elapsed.TotalMilliseconds:0} ms, " +
            $"{run.Elapsed.TotalMilliseconds / Count:0.0} ms/activity, {Count / run.Elapsed.TotalSeconds:0} activities/s " +
            $"(start + 10-activity warm-up: {startup.ElapsedMilliseconds} ms; {Environment.ProcessorCount} cores).");
    }
}
