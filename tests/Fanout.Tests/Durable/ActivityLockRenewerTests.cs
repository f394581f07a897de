using DurableTask.Core;
using Fanout.Host.Durable.WorkItems;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>Locks of running activities are renewed before they run out; others, and finished ones, are left alone.</summary>
public sealed class ActivityLockRenewerTests
{
    [Fact]
    public async Task Renews_a_running_activity_whose_lock_runs_out_soon_and_not_one_locked_for_long()
    {
        var renewed = new TaskCompletionSource<TaskActivityWorkItem>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.RenewTaskActivityWorkItemLockAsync(It.IsAny<TaskActivityWorkItem>()))
            .Returns((TaskActivityWorkItem w) =>
            {
                renewed.TrySetResult(w);
                return Task.FromResult(w);
            });
        var running = new WorkItemSet<TaskActivityWorkItem>();
        var soon = Activity("soon", TimeSpan.FromMilliseconds(50));
        var later = Activity("later", TimeSpan.FromDays(1));
        running.Add(soon);
        running.Add(later);
        await using var renewer = new ActivityLockRenewer(inner.Object, running, new WorkItemReturns(inner.Object, NullLogger.Instance));

        renewer.Start(TimeSpan.FromMilliseconds(20));
        Assert.Same(soon, await renewed.Task.WaitAsync(Patience));
        await renewer.StopAsync().WaitAsync(Patience);

        inner.Verify(s => s.RenewTaskActivityWorkItemLockAsync(later), Times.Never);
    }

    [Fact]
    public async Task A_failed_renewal_does_not_stop_the_renewals()
    {
        var calls = 0;
        var twice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.RenewTaskActivityWorkItemLockAsync(It.IsAny<TaskActivityWorkItem>()))
            .Returns((TaskActivityWorkItem w) =>
            {
                if (Interlocked.Increment(ref calls) >= 2)
                {
                    twice.TrySetResult();
                }

                return Task.FromException<TaskActivityWorkItem>(new InvalidOperationException("lost the message"));
            });
        var running = new WorkItemSet<TaskActivityWorkItem>();
        running.Add(Activity("soon", TimeSpan.Zero));
        await using var renewer = new ActivityLockRenewer(inner.Object, running, new WorkItemReturns(inner.Object, NullLogger.Instance));

        renewer.Start(TimeSpan.FromMilliseconds(20));

        await twice.Task.WaitAsync(Patience);
        await renewer.StopAsync().WaitAsync(Patience);
    }

    [Fact]
    public async Task Stopping_a_renewer_that_never_started_returns_at_once()
    {
        var inner = new Mock<IOrchestrationService>();
        await using var renewer = new ActivityLockRenewer(inner.Object, new WorkItemSet<TaskActivityWorkItem>(), new WorkItemReturns(inner.Object, NullLogger.Instance));

        await renewer.StopAsync().WaitAsync(Patience);
    }
}
