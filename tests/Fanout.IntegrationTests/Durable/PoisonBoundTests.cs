using Azure.Storage.Blobs;
using Fanout.Core.Api;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>
/// The poison bound as TaskHubWorker middleware, on Azure Storage: the attempt count of an instance lives in a blob
/// across processes (here written by the test, as the starts that died before would have left it).
/// </summary>
public sealed class PoisonBoundTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task An_instance_whose_episode_died_at_every_start_fails_with_its_reason_instead_of_running()
    {
        using CancellationTokenSource timeout = new(TestTimeout);
        var (options, instanceId) = await WithDeadStartsAsync(deadStarts: 2, timeout.Token);
        await using DurableTestHost host = await DurableTestHost.StartAsync(options, output, TimeSpan.Zero, timeout.Token);

        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(SlidingWindowTestOrchestrator), new SlidingWindowInput(5, 5), new StartOrchestrationOptions(instanceId), timeout.Token);
        OrchestrationMetadata result = await host.Client.WaitForCompletionByPollingAsync(instanceId, TimeSpan.FromMilliseconds(100), timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.StartsWith(BatchObjects.PoisonReasonPrefix + "its orchestration failed 3 times in a row", result.ReadOutputAs<string>(), StringComparison.Ordinal);
        Assert.Equal(0, host.Probe.Started);
    }

    [Fact]
    public async Task An_instance_under_the_bound_runs_and_its_count_is_cleared()
    {
        using CancellationTokenSource timeout = new(TestTimeout);
        var (options, instanceId) = await WithDeadStartsAsync(deadStarts: 1, timeout.Token);
        await using DurableTestHost host = await DurableTestHost.StartAsync(options, output, TimeSpan.Zero, timeout.Token);

        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(SlidingWindowTestOrchestrator), new SlidingWindowInput(5, 5), new StartOrchestrationOptions(instanceId), timeout.Token);
        OrchestrationMetadata result = await host.Client.WaitForCompletionByPollingAsync(instanceId, TimeSpan.FromMilliseconds(100), timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(SlidingWindowTestOrchestrator.ExpectedSum(5), result.ReadOutputAs<long>());
        Assert.False(await Journal(options).GetBlobClient(instanceId).ExistsAsync(timeout.Token), "The count was not cleared.");
    }

    async Task<(DurableBackendOptions Options, string InstanceId)> WithDeadStartsAsync(int deadStarts, CancellationToken cancellationToken)
    {
        DurableBackendOptions options = DurableTestOptions.AzureStorage(azurite.ConnectionString);
        options.MaxEpisodeAttempts = 2;
        string instanceId = "poison" + Guid.NewGuid().ToString("N")[..8];
        BlobContainerClient journal = Journal(options);
        await journal.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await journal.GetBlobClient(instanceId).UploadAsync(BinaryData.FromString(deadStarts.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken);
        return (options, instanceId);
    }

    BlobContainerClient Journal(DurableBackendOptions options) =>
        new(azurite.ConnectionString, options.TaskHubName.ToLowerInvariant() + "-attempts");
}
