using DurableTask.Core;
using Fanout.Host.Durable.WorkItems;
using Microsoft.Extensions.Logging;
using Moq;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>Giving work items back is best effort: failures are logged, never thrown.</summary>
public sealed class WorkItemReturnsTests
{
    [Fact]
    public async Task A_failed_give_back_is_logged_and_not_thrown()
    {
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.AbandonTaskActivityWorkItemAsync(It.IsAny<TaskActivityWorkItem>())).ThrowsAsync(new InvalidOperationException("gone"));
        inner.Setup(s => s.AbandonTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).ThrowsAsync(new InvalidOperationException("gone"));
        inner.Setup(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).Returns(Task.CompletedTask);
        var logger = new Mock<ILogger>();
        logger.Setup(l => l.IsEnabled(It.IsAny<LogLevel>())).Returns(true);
        var returns = new WorkItemReturns(inner.Object, logger.Object);
        var orchestration = RunningOrchestration();

        await returns.GiveBackAsync(Activity("a", TimeSpan.FromMinutes(1)));
        await returns.GiveBackAsync(orchestration);

        // The orchestration is still released after its abandon failed.
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(orchestration), Times.Once);
        logger.Verify(
            l => l.Log(LogLevel.Warning, It.IsAny<EventId>(), It.IsAny<It.IsAnyType>(), It.IsAny<InvalidOperationException>(), It.IsAny<Func<It.IsAnyType, Exception?, string>>()),
            Times.Exactly(2));
    }

    [Fact]
    public async Task Ending_a_session_ends_it_and_releases_the_work_item()
    {
        var inner = ServiceAcceptingReturns();
        var session = new FakeSession();
        var orchestration = RunningOrchestration(session);

        await new WorkItemReturns(inner.Object, Mock.Of<ILogger>()).EndSessionAsync(orchestration);

        Assert.Equal(1, session.Ended);
        inner.Verify(s => s.ReleaseTaskOrchestrationWorkItemAsync(orchestration), Times.Once);
        inner.Verify(s => s.AbandonTaskOrchestrationWorkItemAsync(orchestration), Times.Never);
    }
}
