using DurableTask.Core;
using DurableTask.Core.History;
using Fanout.Host.Durable;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;

namespace Fanout.IntegrationTests.Durable;

/// <summary>
/// The wrapper between the sidecar's dispatchers and the orchestration service, against a mocked service: extended
/// sessions (the sidecar does not run them itself) and parallel activity fetches.
/// </summary>
public sealed class TrackingOrchestrationServiceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_released_session_waits_for_its_next_messages_and_comes_back_without_a_history_reload()
    {
        var session = new FakeSession();
        var workItem = RunningWorkItem(session);
        var inner = ServiceHanding(workItem);
        await using var service = new TrackingOrchestrationService(inner.Object, 10, 10, null, NullLogger.Instance);

        var first = await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Same(workItem, first);
        var episodeEvent = workItem.OrchestrationRuntimeState.NewEvents.Single();

        await service.ReleaseTaskOrchestrationWorkItemAsync(workItem);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>()), Times.Never);
        Assert.Equal(0, service.InFlightOrchestrations);

        var completion = Message(new TaskCompletedEvent(-1, 0, "\"done\""));
        session.Deliver([completion]);
        var second = await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Patience);

        Assert.Same(workItem, second);
        Assert.Equal([completion], second.NewMessages);
        Assert.Empty(second.OrchestrationRuntimeState.NewEvents);
        Assert.Contains(episodeEvent, second.OrchestrationRuntimeState.PastEvents);
        Assert.Equal(1, service.InFlightOrchestrations);
        inner.Verify(s => s.LockNextTaskOrchestrationWorkItemAsync(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()), Times.Between(1, 2, Moq.Range.Inclusive));
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>()), Times.Never);
    }

    [Fact]
    public async Task An_abandoned_episode_ends_its_session()
    {
        var session = new FakeSession();
        var workItem = RunningWorkItem(session);
        var inner = ServiceHanding(workItem);
        await using var service = new TrackingOrchestrationService(inner.Object, 10, 10, null, NullLogger.Instance);

        await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await service.AbandonTaskOrchestrationWorkItemAsync(workItem);
        await service.ReleaseTaskOrchestrationWorkItemAsync(workItem);

        inner.Verify(s => s.AbandonTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        Assert.Equal(0, session.Fetches);
        Assert.Equal(1, session.Ended);
    }

    [Fact]
    public async Task A_finished_orchestration_is_released_at_once()
    {
        var session = new FakeSession();
        var workItem = RunningWorkItem(session);
        workItem.OrchestrationRuntimeState.AddEvent(new ExecutionCompletedEvent(1, "\"result\"", OrchestrationStatus.Completed));
        var inner = ServiceHanding(workItem);
        await using var service = new TrackingOrchestrationService(inner.Object, 10, 10, null, NullLogger.Instance);

        await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await service.ReleaseTaskOrchestrationWorkItemAsync(workItem);

        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        Assert.Equal(0, session.Fetches);
    }

    [Fact]
    public async Task Stopping_ends_idle_sessions_and_releases_them()
    {
        var session = new FakeSession();
        var workItem = RunningWorkItem(session);
        var inner = ServiceHanding(workItem);
        await using var service = new TrackingOrchestrationService(inner.Object, 10, 10, null, NullLogger.Instance);

        await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await service.ReleaseTaskOrchestrationWorkItemAsync(workItem);
        Assert.Equal(1, session.Fetches);

        service.StopAll();
        await service.StopFetchingAsync(CancellationToken.None).WaitAsync(Patience);

        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        Assert.Equal(1, session.Ended);
    }

    [Fact]
    public async Task Activity_fetches_run_in_parallel_and_the_first_answer_wins()
    {
        var pending = Enumerable.Range(0, 8).Select(_ => new TaskCompletionSource<TaskActivityWorkItem>()).ToArray();
        var calls = 0;
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.LockNextTaskActivityWorkItem(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns(() => pending[Interlocked.Increment(ref calls) - 1].Task);
        await using var service = new TrackingOrchestrationService(inner.Object, 10, 10, null, NullLogger.Instance, activityFetchers: 4);

        var fetch = service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.False(fetch.IsCompleted);
        Assert.Equal(4, Volatile.Read(ref calls));

        var third = new TaskActivityWorkItem { Id = "third", LockedUntilUtc = DateTime.UtcNow.AddMinutes(1) };
        pending[2].SetResult(third);
        Assert.Same(third, await fetch.WaitAsync(Patience));
        Assert.Equal(1, service.InFlightActivities);

        // The next call tops the outstanding fetches up to four again and returns one that already answered.
        var first = new TaskActivityWorkItem { Id = "first", LockedUntilUtc = DateTime.UtcNow.AddMinutes(1) };
        pending[0].SetResult(first);
        Assert.Same(first, await service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Patience));
        Assert.Equal(5, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Activity_fetches_never_exceed_the_free_activity_slots()
    {
        var calls = 0;
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.LockNextTaskActivityWorkItem(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(new TaskActivityWorkItem { Id = Guid.NewGuid().ToString(), LockedUntilUtc = DateTime.UtcNow.AddMinutes(1) });
            });
        await using var service = new TrackingOrchestrationService(inner.Object, 3, 10, null, NullLogger.Instance, activityFetchers: 8);

        for (var i = 0; i < 3; i++)
        {
            await service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Patience);
        }

        Assert.Equal(3, service.InFlightActivities);
        var blocked = service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), CancellationToken.None);
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted);
        Assert.True(Volatile.Read(ref calls) <= 3 + 2, $"{calls} fetches for 3 slots");
    }

    private static TaskOrchestrationWorkItem RunningWorkItem(IOrchestrationSession session)
    {
        var state = new OrchestrationRuntimeState();
        state.AddEvent(new ExecutionStartedEvent(-1, "\"input\"")
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = "batch_x", ExecutionId = "e1" },
            Name = "BatchOrchestrator",
        });
        return new TaskOrchestrationWorkItem
        {
            InstanceId = "batch_x",
            OrchestrationRuntimeState = state,
            NewMessages = [],
            Session = session,
        };
    }

    private static Mock<IOrchestrationService> ServiceHanding(TaskOrchestrationWorkItem workItem)
    {
        var handedOut = 0;
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.LockNextTaskOrchestrationWorkItemAsync(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns((TimeSpan _, CancellationToken ct) => Interlocked.Increment(ref handedOut) == 1
                ? Task.FromResult(workItem)
                : UntilCancelled<TaskOrchestrationWorkItem>(ct));
        inner.Setup(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).Returns(Task.CompletedTask);
        inner.Setup(s => s.AbandonTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).Returns(Task.CompletedTask);
        return inner;
    }

    /// <summary>What Azure Storage's fetch does when nothing arrives: waits, and answers null once the service stops.</summary>
    private static async Task<T> UntilCancelled<T>(CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        return null!;
    }

    private static TaskMessage Message(HistoryEvent e) =>
        new() { Event = e, OrchestrationInstance = new OrchestrationInstance { InstanceId = "batch_x", ExecutionId = "e1" } };

    private sealed class FakeSession : IOrchestrationSession
    {
        private readonly TaskCompletionSource<IList<TaskMessage>?> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _fetches;
        private int _ended;

        public int Fetches => Volatile.Read(ref _fetches);

        public int Ended => Volatile.Read(ref _ended);

        public void Deliver(IList<TaskMessage> messages) => _next.SetResult(messages);

        public Task<IList<TaskMessage>?> FetchNewOrchestrationMessagesAsync(TaskOrchestrationWorkItem workItem)
        {
            Interlocked.Increment(ref _fetches);
            return _next.Task;
        }

        public Task EndSessionAsync()
        {
            Interlocked.Increment(ref _ended);
            return Task.CompletedTask;
        }
    }
}
