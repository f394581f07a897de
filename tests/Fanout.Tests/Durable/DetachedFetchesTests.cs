using DurableTask.Core;
using Fanout.Host.Durable.WorkItems;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>Fetches nobody waits for any more give back whatever they return, and never fault.</summary>
public sealed class DetachedFetchesTests
{
    [Fact]
    public async Task What_a_detached_fetch_returns_goes_back_to_the_queue()
    {
        var inner = ServiceAcceptingReturns();
        var detached = new DetachedFetches(new WorkItemReturns(inner.Object, NullLogger.Instance));
        var activityFetch = new TaskCompletionSource<TaskActivityWorkItem>();
        var orchestrationFetch = new TaskCompletionSource<TaskOrchestrationWorkItem>();
        detached.Add(activityFetch.Task);
        detached.Add(orchestrationFetch.Task);

        var activity = Activity("a", TimeSpan.FromMinutes(1));
        var orchestration = RunningOrchestration();
        activityFetch.SetResult(activity);
        orchestrationFetch.SetResult(orchestration);
        await detached.WhenAllAsync(CancellationToken.None).WaitAsync(Patience);

        inner.Verify(s => s.AbandonTaskActivityWorkItemAsync(activity), Times.Once);
        inner.Verify(s => s.AbandonTaskOrchestrationWorkItemAsync(orchestration), Times.Once);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(orchestration), Times.Once);
    }

    [Fact]
    public async Task Empty_failed_and_cancelled_fetches_give_nothing_back_and_do_not_fault()
    {
        var inner = ServiceAcceptingReturns();
        var detached = new DetachedFetches(new WorkItemReturns(inner.Object, NullLogger.Instance));
        detached.Add(Task.FromResult<TaskActivityWorkItem>(null!));
        detached.Add(Task.FromException<TaskActivityWorkItem>(new InvalidOperationException("queue gone")));
        detached.Add(Task.FromCanceled<TaskOrchestrationWorkItem>(new CancellationToken(canceled: true)));

        await detached.WhenAllAsync(CancellationToken.None).WaitAsync(Patience);

        inner.Verify(s => s.AbandonTaskActivityWorkItemAsync(It.IsAny<TaskActivityWorkItem>()), Times.Never);
        inner.Verify(s => s.AbandonTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>()), Times.Never);
    }
}
