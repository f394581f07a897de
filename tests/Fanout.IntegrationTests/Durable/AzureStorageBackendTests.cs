using System.Diagnostics;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>The Azure Storage backend on a private Azurite, through TaskHubWorker.</summary>
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
        Assert.Empty(host.Problems);
    }

    [Fact]
    public async Task Activity_running_longer_than_the_visibility_timeout_keeps_its_lock_and_runs_once()
    {
        // Arrange: a call longer than the 12 s visibility timeout (three of the dispatcher's 5 s renewals); the dispatcher
        // renews its lock, or it would reappear.
        using CancellationTokenSource timeout = new(TestTimeout);
        DurableBackendOptions options = DurableTestOptions.AzureStorage(azurite.ConnectionString);
        await using DurableTestHost host = await DurableTestHost.StartAsync(options, output, TimeSpan.FromSeconds(20), timeout.Token);

        // Act
        OrchestrationMetadata result = await host.RunAsync(new SlidingWindowInput(Count: 2, Window: 2), timeout.Token);

        // Assert: an expired lock shows as "processed multiple times" and PopReceiptMismatch on completion.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(2, host.Probe.Started);
        Assert.Empty(host.Problems);
    }

    [Fact]
    public async Task Orchestration_resumes_on_a_new_host_after_the_first_stops_gracefully_mid_run()
    {
        // Arrange: activities slow enough that the run is still going when the first host stops.
        const int Count = 200;
        using CancellationTokenSource timeout = new(TestTimeout);
        DurableBackendOptions options = DurableTestOptions.AzureStorage(azurite.ConnectionString);
        SlidingWindowInput input = new(Count, Window: 20);
        string instanceId;
        int completedByFirst;
        string[] firstProblems;
        await using (DurableTestHost first = await DurableTestHost.StartAsync(options, output, TimeSpan.FromMilliseconds(200), timeout.Token))
        {
            instanceId = await first.ScheduleAsync(input, timeout.Token);
            while (first.Probe.Completed < 40)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }

            // Act 1: stop mid-run; the dispatchers let running activities finish and record their results. The only
            // warning allowed is Azure Storage's note that an activity fetched during the stop went back unrun.
            Stopwatch stopping = Stopwatch.StartNew();
            await first.StopAsync(timeout.Token);
            completedByFirst = first.Probe.Completed;
            firstProblems = [.. first.Problems];
            output.WriteLine($"First host stopped after {completedByFirst} activities; the graceful stop took {stopping.ElapsedMilliseconds} ms.");
        }

        // Act 2: a new host on the same storage and task hub picks the orchestration up.
        Stopwatch resume = Stopwatch.StartNew();
        await using DurableTestHost second = await DurableTestHost.StartAsync(options, output, TimeSpan.FromMilliseconds(200), timeout.Token);
        OrchestrationMetadata? midway = await second.Client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, timeout.Token);
        OrchestrationMetadata result = await second.Client.WaitForCompletionByPollingAsync(instanceId, TimeSpan.FromMilliseconds(100), timeout.Token);
        output.WriteLine($"Second host ran {second.Probe.Completed} activities; start to completion took {resume.ElapsedMilliseconds} ms.");

        // Assert
        Assert.InRange(completedByFirst, 40, Count - 1);
        Assert.Equal(OrchestrationRuntimeStatus.Running, midway?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(SlidingWindowTestOrchestrator.ExpectedSum(Count), result.ReadOutputAs<long>());
        Assert.Equal(Count, completedByFirst + second.Probe.Completed);
        Assert.All(firstProblems, problem => Assert.Contains("Abandoning [TaskScheduled", problem, StringComparison.Ordinal));
        Assert.Empty(second.Problems);
    }
}
