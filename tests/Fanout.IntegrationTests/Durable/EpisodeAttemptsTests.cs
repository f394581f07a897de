using Azure.Storage.Blobs;
using DurableTask.Core;
using DurableTask.Core.History;
using Fanout.Host.Durable;
using Fanout.Host.Durable.WorkItems;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;

namespace Fanout.IntegrationTests.Durable;

/// <summary>
/// Bounded poison: an orchestration whose episode takes the host down at every start is terminated, with its reason,
/// after <see cref="EpisodeAttempts.MaxAttempts"/> starts; the count lives in storage (Azurite) across processes.
/// </summary>
public sealed class EpisodeAttemptsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task An_episode_that_crashes_every_start_is_terminated_after_the_bound_with_its_reason()
    {
        var journal = new BlobContainerClient(azurite.ConnectionString, AzuriteFixture.UniqueContainerName("attempts"));
        OrchestrationState? terminated = null;
        OrchestrationRuntimeState? finalState = null;
        IList<TaskMessage>? toParent = null;
        for (var start = 1; start <= 4; start++)
        {
            // Each start is a new process: new service, new in-memory state; only the journal carries over.
            var workItem = ChunkWorkItem();
            var inner = Handing(workItem);
            inner.Setup(s => s.CompleteTaskOrchestrationWorkItemAsync(workItem, It.IsAny<OrchestrationRuntimeState>(), It.IsAny<IList<TaskMessage>>(),
                    It.IsAny<IList<TaskMessage>>(), It.IsAny<IList<TaskMessage>>(), It.IsAny<TaskMessage>(), It.IsAny<OrchestrationState>()))
                .Callback((TaskOrchestrationWorkItem _, OrchestrationRuntimeState state, IList<TaskMessage> _, IList<TaskMessage> orchestrator, IList<TaskMessage> _, TaskMessage _, OrchestrationState status) =>
                {
                    finalState = state;
                    toParent = orchestrator;
                    terminated = status;
                })
                .Returns(Task.CompletedTask);
            using var signals = new ShutdownSignals();
            using var service = new TrackingOrchestrationService(
                inner.Object, 10, 10, signals, new InFlightWorkItems(), new WorkItemReturns(inner.Object, NullLogger.Instance))
            {
                Attempts = new EpisodeAttempts(journal, maxAttempts: 3, NullLogger.Instance),
            };

            var handed = await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            if (start <= 3)
            {
                // Handed to the dispatcher to run; the host then dies before the episode completes.
                Assert.Same(workItem, handed);
                Assert.Null(terminated);
            }
            else
            {
                // The fourth start does not run it: it ends it.
                Assert.Null(handed);
            }
        }

        Assert.NotNull(terminated);
        Assert.Equal(OrchestrationStatus.Terminated, terminated.OrchestrationStatus);
        Assert.Contains("failed 4 times in a row", terminated.Output, StringComparison.Ordinal);
        Assert.StartsWith("\"" + EpisodeAttempts.ReasonPrefix, terminated.Output, StringComparison.Ordinal);
        Assert.Contains(finalState!.NewEvents, e => e is ExecutionTerminatedEvent);

        // The chunk's parent hears that its chunk failed, so the batch goes on (repairing the chunk's lines) or fails.
        var failed = Assert.IsType<SubOrchestrationInstanceFailedEvent>(Assert.Single(toParent!).Event);
        Assert.Equal(7, failed.TaskScheduledId);
        Assert.Equal("batch_parent", toParent![0].OrchestrationInstance.InstanceId);
    }

    [Fact]
    public async Task A_completed_episode_clears_the_count()
    {
        var journal = new BlobContainerClient(azurite.ConnectionString, AzuriteFixture.UniqueContainerName("attempts"));
        for (var start = 1; start <= 6; start++)
        {
            var workItem = ChunkWorkItem();
            var inner = Handing(workItem);
            inner.Setup(s => s.CompleteTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>(), It.IsAny<OrchestrationRuntimeState>(), It.IsAny<IList<TaskMessage>>(),
                It.IsAny<IList<TaskMessage>>(), It.IsAny<IList<TaskMessage>>(), It.IsAny<TaskMessage>(), It.IsAny<OrchestrationState>())).Returns(Task.CompletedTask);
            using var signals = new ShutdownSignals();
            using var service = new TrackingOrchestrationService(
                inner.Object, 10, 10, signals, new InFlightWorkItems(), new WorkItemReturns(inner.Object, NullLogger.Instance))
            {
                Attempts = new EpisodeAttempts(journal, maxAttempts: 2, NullLogger.Instance),
            };

            // Each start crashes once more than the bound allows in a row, but completes an episode in between.
            var handed = await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            Assert.Same(workItem, handed);
            if (start % 2 == 0)
            {
                await service.CompleteTaskOrchestrationWorkItemAsync(workItem, workItem.OrchestrationRuntimeState, [], [], [], null!, new OrchestrationState());
            }
        }
    }

    private static TaskOrchestrationWorkItem ChunkWorkItem()
    {
        var state = new OrchestrationRuntimeState();
        state.AddEvent(new ExecutionStartedEvent(-1, "\"input\"")
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = "batch_parent:chunk:0", ExecutionId = "e1" },
            Name = "ChunkOrchestrator",
            ParentInstance = new ParentInstance
            {
                OrchestrationInstance = new OrchestrationInstance { InstanceId = "batch_parent", ExecutionId = "p1" },
                Name = "BatchOrchestrator",
                TaskScheduleId = 7,
            },
        });
        return new TaskOrchestrationWorkItem { InstanceId = "batch_parent:chunk:0", OrchestrationRuntimeState = state, NewMessages = [] };
    }

    private static Mock<IOrchestrationService> Handing(TaskOrchestrationWorkItem workItem)
    {
        var handedOut = 0;
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.LockNextTaskOrchestrationWorkItemAsync(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns((TimeSpan _, CancellationToken ct) => Interlocked.Increment(ref handedOut) == 1
                ? Task.FromResult(workItem)
                : Task.FromResult<TaskOrchestrationWorkItem>(null!));
        inner.Setup(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).Returns(Task.CompletedTask);
        inner.Setup(s => s.AbandonTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).Returns(Task.CompletedTask);
        return inner;
    }
}
