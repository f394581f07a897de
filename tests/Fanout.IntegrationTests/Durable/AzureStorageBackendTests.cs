using System.Diagnostics;
using Fanout.Host.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>The Azure Storage backend on a private Azurite, through the in-process sidecar.</summary>
public sealed class AzureStorageBackendTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Sliding_window_of_50_activities_completes_on_Azure_Storage()
    {
        // Arrange
        using CancellationTokenSource timeout = new(TestTimeout);
        await using DurableTestHost host = await DurableTestHost.StartAsync(
            DurableTestOptions.AzureStorage(azurite.ConnectionString), output, TimeSpan.Zero, timeout.Token);

        // Act
        OrchestrationMetadata result = await host.RunAsync(new SlidingWindowInput(Count: 50, Window: 10), timeout.Token);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(SlidingWindowTestOrchestrator.ExpectedSum(50), result.ReadOutputAs<long>());
        Assert.Equal(50, host.Probe.Completed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Orchestration_resumes_on_a_new_host_after_the_first_stops_mid_run(bool drain)
    {
        // Arrange: activities slow enough that the run is still going when the first host stops.
        const int Count = 200;
        using CancellationTokenSource timeout = new(TestTimeout);
        DurableBackendOptions options = DurableTestOptions.AzureStorage(azurite.ConnectionString);
        options.DrainTimeout = drain ? TimeSpan.FromSeconds(10) : TimeSpan.Zero;
        SlidingWindowInput input = new(Count, Window: 20);

        string instanceId;
        int completedByFirst;
        await using (DurableTestHost first = await DurableTestHost.StartAsync(options, output, TimeSpan.FromMilliseconds(200), timeout.Token))
        {
            instanceId = await first.ScheduleAsync(input, timeout.Token);
            while (first.Probe.Completed < 40)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }

            // Act 1: stop mid-run.
            Stopwatch stopping = Stopwatch.StartNew();
            await first.StopAsync(timeout.Token);
            completedByFirst = first.Probe.Completed;
            output.WriteLine($"First host stopped after {completedByFirst} activities; stop took {stopping.ElapsedMilliseconds} ms (drain: {drain}).");
        }

        // Act 2: a new host on the same storage and task hub picks the orchestration up.
        Stopwatch resume = Stopwatch.StartNew();
        await using DurableTestHost second = await DurableTestHost.StartAsync(options, output, TimeSpan.FromMilliseconds(200), timeout.Token);
        OrchestrationMetadata? midway = await second.Client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, timeout.Token);
        OrchestrationMetadata result = await second.Client.WaitForCompletionByPollingAsync(instanceId, TimeSpan.FromMilliseconds(100), timeout.Token);
        output.WriteLine($"Second host finished {second.Probe.Completed} activities; resume to completion took {resume.ElapsedMilliseconds} ms.");

        // Assert
        Assert.True(completedByFirst < Count, "The first host should have stopped before the run ended.");
        Assert.Equal(OrchestrationRuntimeStatus.Running, midway?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(SlidingWindowTestOrchestrator.ExpectedSum(Count), result.ReadOutputAs<long>());
        Assert.True(second.Probe.Completed > 0, "The second host should have run the rest.");
        Assert.True(completedByFirst + second.Probe.Completed >= Count, "Every activity ran at least once.");
    }
}
