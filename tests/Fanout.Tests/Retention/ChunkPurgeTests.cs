using Fanout.Core.Options;
using Fanout.Core.Retention;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;

namespace Fanout.Tests.Retention;

/// <summary>The purge of completed chunk orchestrations while their batch may still run (a history bounded by the window, not the batch).</summary>
public sealed class ChunkPurgeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Purges_only_chunks_that_completed_at_least_the_settle_time_ago()
    {
        var instances = new[]
        {
            Instance("batch_a", OrchestrationRuntimeStatus.Running, 600),
            Instance("batch_a~c00000", OrchestrationRuntimeStatus.Completed, 60),
            Instance("batch_a~c00001", OrchestrationRuntimeStatus.Completed, 5),
            Instance("batch_b", OrchestrationRuntimeStatus.Completed, 600),
        };
        OrchestrationQuery? asked = null;
        var purged = new List<string>();
        var client = new Mock<DurableTaskClient>("test") { CallBase = true };
        client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery>()))
            .Callback<OrchestrationQuery?>(q => asked = q)
            .Returns(() => Pageable.Create((string? _, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>(
                instances.Where(i => asked?.Statuses?.Contains(i.RuntimeStatus) != false).ToList(), null))));
        client.Setup(c => c.PurgeInstanceAsync(It.IsAny<string>(), It.IsAny<PurgeInstanceOptions?>(), It.IsAny<CancellationToken>()))
            .Callback<string, PurgeInstanceOptions?, CancellationToken>((id, _, _) => purged.Add(id))
            .ReturnsAsync(new PurgeResult(1));

        var purger = new HistoryPurger(null!, Microsoft.Extensions.Options.Options.Create(new RetentionOptions()), new FixedTime(Now), NullLogger<HistoryPurger>.Instance);
        var count = await purger.PurgeCompletedChunksAsync(client.Object, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(1, count);
        Assert.Equal(["batch_a~c00000"], purged);
        Assert.Equal([OrchestrationRuntimeStatus.Completed], asked!.Statuses);
    }

    private static OrchestrationMetadata Instance(string id, OrchestrationRuntimeStatus status, int secondsAgo)
        => new("BatchOrchestrator", id) { RuntimeStatus = status, LastUpdatedAt = Now.AddSeconds(-secondsAgo), CreatedAt = Now.AddSeconds(-secondsAgo - 10) };

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
