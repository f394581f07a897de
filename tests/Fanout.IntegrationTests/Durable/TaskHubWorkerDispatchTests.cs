using Fanout.Host.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>
/// The spike behind <c>Fanout:Durable:Dispatch=TaskHubWorker</c>: DurableTask.Core's TaskHubWorker with the public
/// DurableTaskShimFactory runs our orchestrator and activity directly on Azure Storage (Azurite), and stops cleanly.
/// </summary>
public sealed class TaskHubWorkerDispatchTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Sliding_window_of_50_activities_completes_on_Azure_Storage_without_the_sidecar_worker()
    {
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(3));
        DurableBackendOptions options = DurableTestOptions.AzureStorage(azurite.ConnectionString);
        options.Dispatch = DurableDispatchKind.TaskHubWorker;
        await using DurableTestHost host = await DurableTestHost.StartAsync(options, output, TimeSpan.Zero, timeout.Token);

        OrchestrationMetadata result = await host.RunAsync(new SlidingWindowInput(Count: 50, Window: 10), timeout.Token);
        await host.StopAsync(timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(SlidingWindowTestOrchestrator.ExpectedSum(50), result.ReadOutputAs<long>());
        Assert.Equal(50, host.Probe.Completed);
        Assert.Empty(host.Problems);
    }
}
