using DurableTask.Core;
using Fanout.Host.Durable.WorkItems;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>The count of handed-out work items: what the drain waits on and what shutdown gives back.</summary>
public sealed class InFlightWorkItemsTests
{
    [Fact]
    public async Task Quiet_when_nothing_is_outstanding()
    {
        var inFlight = new InFlightWorkItems();

        Assert.True(await inFlight.WaitUntilQuietAsync(Patience, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task Not_quiet_while_a_work_item_is_outstanding()
    {
        var inFlight = new InFlightWorkItems();
        inFlight.Activities.Add(Activity("a", TimeSpan.FromMinutes(1)));

        Assert.False(await inFlight.WaitUntilQuietAsync(TimeSpan.FromMilliseconds(200), TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task Quiet_once_the_last_work_item_completes()
    {
        var inFlight = new InFlightWorkItems();
        var orchestration = RunningOrchestration();
        inFlight.Orchestrations.Add(orchestration);

        var wait = inFlight.WaitUntilQuietAsync(Patience, TimeSpan.Zero, CancellationToken.None);
        Assert.False(wait.IsCompleted);
        inFlight.Orchestrations.Remove(orchestration);

        Assert.True(await wait);
    }

    [Fact]
    public async Task Not_quiet_when_the_caller_gives_up()
    {
        var inFlight = new InFlightWorkItems();
        inFlight.MarkProgress();

        Assert.False(await inFlight.WaitUntilQuietAsync(Patience, TimeSpan.FromDays(1), new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task Shutdown_gives_every_outstanding_work_item_back_once()
    {
        var inner = ServiceAcceptingReturns();
        var inFlight = new InFlightWorkItems();
        var activity = Activity("a", TimeSpan.FromMinutes(1));
        var orchestration = RunningOrchestration();
        inFlight.Activities.Add(activity);
        inFlight.Activities.Add(activity);
        inFlight.Orchestrations.Add(orchestration);

        await inFlight.GiveBackAllAsync(new WorkItemReturns(inner.Object, NullLogger.Instance));

        Assert.True(inFlight.Activities.IsEmpty);
        Assert.True(inFlight.Orchestrations.IsEmpty);
        inner.Verify(s => s.AbandonTaskActivityWorkItemAsync(activity), Times.Once);
        inner.Verify(s => s.AbandonTaskOrchestrationWorkItemAsync(orchestration), Times.Once);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(orchestration), Times.Once);
    }

    [Fact]
    public void Work_items_are_told_apart_by_reference()
    {
        var set = new WorkItemSet<TaskActivityWorkItem>();
        set.Add(new TaskActivityWorkItem { Id = "same" });
        set.Add(new TaskActivityWorkItem { Id = "same" });

        Assert.Equal(2, set.Count);
    }
}
