using DurableTask.Core;
using DurableTask.Core.History;
using Moq;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>
/// Extended sessions, which the sidecar does not run itself, through the wrapper the sidecar's dispatcher talks to:
/// a released episode of a running instance waits for its next messages instead of being released.
/// </summary>
public sealed class ExtendedSessionsTests
{
    [Fact]
    public async Task A_released_session_waits_for_its_next_messages_and_comes_back_without_a_history_reload()
    {
        var session = new FakeSession();
        var workItem = RunningOrchestration(session);
        var inner = ServiceHanding(workItem);
        using var wiring = new Wiring(inner.Object);
        var service = wiring.Service;

        var first = await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Same(workItem, first);
        var episodeEvent = workItem.OrchestrationRuntimeState.NewEvents.Single();

        await service.ReleaseTaskOrchestrationWorkItemAsync(workItem);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>()), Times.Never);
        Assert.Equal(0, wiring.InFlight.Orchestrations.Count);

        var completion = Message(new TaskCompletedEvent(-1, 0, "\"done\""));
        session.Deliver([completion]);
        var second = await service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Patience);

        Assert.Same(workItem, second);
        Assert.Equal([completion], second.NewMessages);
        Assert.Empty(second.OrchestrationRuntimeState.NewEvents);
        Assert.Contains(episodeEvent, second.OrchestrationRuntimeState.PastEvents);
        Assert.Equal(1, wiring.InFlight.Orchestrations.Count);
        inner.Verify(s => s.LockNextTaskOrchestrationWorkItemAsync(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()), Times.Between(1, 2, Moq.Range.Inclusive));
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>()), Times.Never);
    }

    [Fact]
    public async Task An_abandoned_episode_ends_its_session()
    {
        var session = new FakeSession();
        var workItem = RunningOrchestration(session);
        var inner = ServiceHanding(workItem);
        using var wiring = new Wiring(inner.Object);

        await wiring.Service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await wiring.Service.AbandonTaskOrchestrationWorkItemAsync(workItem);
        await wiring.Service.ReleaseTaskOrchestrationWorkItemAsync(workItem);

        inner.Verify(s => s.AbandonTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        Assert.Equal(0, session.Fetches);
        Assert.Equal(1, session.Ended);
    }

    [Fact]
    public async Task A_finished_orchestration_is_released_at_once()
    {
        var session = new FakeSession();
        var workItem = RunningOrchestration(session);
        workItem.OrchestrationRuntimeState.AddEvent(new ExecutionCompletedEvent(1, "\"result\"", OrchestrationStatus.Completed));
        var inner = ServiceHanding(workItem);
        using var wiring = new Wiring(inner.Object);

        await wiring.Service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await wiring.Service.ReleaseTaskOrchestrationWorkItemAsync(workItem);

        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        Assert.Equal(0, session.Fetches);
    }

    [Fact]
    public async Task A_session_released_while_orchestrations_stop_is_released_at_once()
    {
        var session = new FakeSession();
        var workItem = RunningOrchestration(session);
        var inner = ServiceHanding(workItem);
        using var wiring = new Wiring(inner.Object);

        await wiring.Service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        wiring.Signals.StopAll();
        await wiring.Service.ReleaseTaskOrchestrationWorkItemAsync(workItem);

        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        Assert.Equal(0, session.Fetches);
        Assert.Equal(1, session.Ended);
    }

    [Fact]
    public async Task Stopping_ends_idle_sessions_and_releases_them()
    {
        var (session, workItem, inner, wiring) = await IdleSessionAsync();
        using var disposeWiring = wiring;
        Assert.Equal(1, session.Fetches);

        await wiring.StopAsync();

        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        Assert.Equal(1, session.Ended);
    }

    [Fact]
    public async Task A_session_that_woke_up_but_was_not_taken_gives_its_messages_back_on_stop()
    {
        var (session, workItem, inner, wiring) = await IdleSessionAsync();
        using var disposeWiring = wiring;
        session.Deliver([Message(new TaskCompletedEvent(-1, 0, "\"done\""))]);
        await WaitUntilAsync(() => workItem.NewMessages.Count == 1);

        await wiring.StopAsync();

        inner.Verify(s => s.AbandonTaskOrchestrationWorkItemAsync(workItem), Times.Once);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
    }

    [Fact]
    public async Task A_session_whose_wait_fails_is_ended_and_released()
    {
        var (session, workItem, inner, wiring) = await IdleSessionAsync();
        using var disposeWiring = wiring;
        session.Fail(new InvalidOperationException("storage down"));

        await WaitUntilAsync(() => session.Ended == 1);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
    }

    [Fact]
    public async Task A_session_idle_past_its_timeout_is_ended_and_released()
    {
        var (session, workItem, inner, wiring) = await IdleSessionAsync();
        using var disposeWiring = wiring;

        // Azure Storage answers null when the session's idle timeout passes.
        session.Deliver(null);

        await WaitUntilAsync(() => session.Ended == 1);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(workItem), Times.Once);
    }

    /// <summary>An episode handed out and released while its instance still runs: its session now waits for messages.</summary>
    private static async Task<(FakeSession Session, TaskOrchestrationWorkItem WorkItem, Mock<IOrchestrationService> Inner, Wiring Wiring)> IdleSessionAsync()
    {
        var session = new FakeSession();
        var workItem = RunningOrchestration(session);
        var inner = ServiceHanding(workItem);
        var wiring = new Wiring(inner.Object);
        await wiring.Service.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await wiring.Service.ReleaseTaskOrchestrationWorkItemAsync(workItem);
        return (session, workItem, inner, wiring);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(10, limit.Token);
        }
    }
}
