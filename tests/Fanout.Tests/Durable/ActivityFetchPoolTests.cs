using DurableTask.Core;
using Fanout.Host.Durable.WorkItems;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>Parallel activity fetches: several outstanding, never more than the free slots, none cancelled in flight.</summary>
public sealed class ActivityFetchPoolTests
{
    [Fact]
    public async Task Fetches_run_in_parallel_and_the_first_answer_wins()
    {
        var pending = Enumerable.Range(0, 8).Select(_ => new TaskCompletionSource<TaskActivityWorkItem>()).ToArray();
        var calls = 0;
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.LockNextTaskActivityWorkItem(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns(() => pending[Interlocked.Increment(ref calls) - 1].Task);
        using var wiring = new Wiring(inner.Object, activityFetchers: 4);

        var fetch = wiring.Service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.False(fetch.IsCompleted);
        Assert.Equal(4, Volatile.Read(ref calls));

        var third = Activity("third", TimeSpan.FromMinutes(1));
        pending[2].SetResult(third);
        Assert.Same(third, await fetch.WaitAsync(Patience));
        Assert.Equal(1, wiring.InFlight.Activities.Count);

        // The next call tops the outstanding fetches up to four again and returns one that already answered.
        var first = Activity("first", TimeSpan.FromMinutes(1));
        pending[0].SetResult(first);
        Assert.Same(first, await wiring.Service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Patience));
        Assert.Equal(5, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Fetches_never_exceed_the_free_activity_slots()
    {
        var calls = 0;
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.LockNextTaskActivityWorkItem(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(Activity(Guid.NewGuid().ToString(), TimeSpan.FromMinutes(1)));
            });
        using var wiring = new Wiring(inner.Object, maxActivities: 3, activityFetchers: 8);

        for (var i = 0; i < 3; i++)
        {
            await wiring.Service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Patience);
        }

        Assert.Equal(3, wiring.InFlight.Activities.Count);
        using var stop = new CancellationTokenSource();
        var blocked = wiring.Service.LockNextTaskActivityWorkItem(TimeSpan.FromSeconds(1), stop.Token);
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted);
        Assert.True(Volatile.Read(ref calls) <= 3 + 2, $"{calls} fetches for 3 slots");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(Patience));
    }

    [Fact]
    public async Task When_activities_stop_the_outstanding_fetches_are_detached_and_what_they_bring_is_given_back()
    {
        var pending = Enumerable.Range(0, 2).Select(_ => new TaskCompletionSource<TaskActivityWorkItem>()).ToArray();
        var calls = 0;
        var inner = ServiceAcceptingReturns();
        inner.Setup(s => s.LockNextTaskActivityWorkItem(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns(() => pending[Interlocked.Increment(ref calls) - 1].Task);
        using var signals = new ShutdownSignals();
        var returns = new WorkItemReturns(inner.Object, NullLogger.Instance);
        var detached = new DetachedFetches(returns);
        using var pool = new ActivityFetchPool(inner.Object, 10, 2, new WorkItemSet<TaskActivityWorkItem>(), signals, detached);

        using var dispatcherStop = new CancellationTokenSource();
        var fetch = pool.FetchAsync(TimeSpan.FromSeconds(1), dispatcherStop.Token);
        signals.StopActivities();

        // The dispatcher's call is parked, not answered with null (which would make its loop spin).
        await Task.Delay(100);
        Assert.False(fetch.IsCompleted);

        var late = Activity("late", TimeSpan.FromMinutes(1));
        pending[0].SetResult(late);
        pending[1].SetResult(null!);
        await pool.StopAsync(CancellationToken.None).WaitAsync(Patience);
        await detached.WhenAllAsync(CancellationToken.None).WaitAsync(Patience);
        inner.Verify(s => s.AbandonTaskActivityWorkItemAsync(late), Times.Once);

        await dispatcherStop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch.WaitAsync(Patience));
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public void At_least_one_fetcher()
    {
        using var signals = new ShutdownSignals();
        var inner = new Mock<IOrchestrationService>();
        var detached = new DetachedFetches(new WorkItemReturns(inner.Object, NullLogger.Instance));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ActivityFetchPool(inner.Object, 10, 0, new WorkItemSet<TaskActivityWorkItem>(), signals, detached));
    }
}
