using DurableTask.Core;
using DurableTask.Core.History;
using Fanout.Host.Durable;
using Fanout.Host.Durable.WorkItems;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Fanout.Tests.Durable;

/// <summary>Work items, a mocked orchestration service and the wiring the hosted service does, for the Durable parts' tests.</summary>
internal static class WorkItemFakes
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static TaskOrchestrationWorkItem RunningOrchestration(IOrchestrationSession? session = null, string instanceId = "batch_x")
    {
        var state = new OrchestrationRuntimeState();
        state.AddEvent(new ExecutionStartedEvent(-1, "\"input\"")
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId, ExecutionId = "e1" },
            Name = "BatchOrchestrator",
        });
        return new TaskOrchestrationWorkItem
        {
            InstanceId = instanceId,
            OrchestrationRuntimeState = state,
            NewMessages = [],
            Session = session,
        };
    }

    public static TaskActivityWorkItem Activity(string id, TimeSpan lockedFor) =>
        new() { Id = id, LockedUntilUtc = DateTime.UtcNow + lockedFor };

    public static TaskMessage Message(HistoryEvent e, string instanceId = "batch_x") =>
        new() { Event = e, OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId, ExecutionId = "e1" } };

    /// <summary>A service whose first orchestration fetch returns <paramref name="workItem"/> and later ones wait until cancelled.</summary>
    public static Mock<IOrchestrationService> ServiceHanding(TaskOrchestrationWorkItem workItem)
    {
        var handedOut = 0;
        var inner = ServiceAcceptingReturns();
        inner.Setup(s => s.LockNextTaskOrchestrationWorkItemAsync(It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns((TimeSpan _, CancellationToken ct) => Interlocked.Increment(ref handedOut) == 1
                ? Task.FromResult(workItem)
                : UntilCancelled<TaskOrchestrationWorkItem>(ct));
        return inner;
    }

    /// <summary>A service that accepts abandons and releases.</summary>
    public static Mock<IOrchestrationService> ServiceAcceptingReturns()
    {
        var inner = new Mock<IOrchestrationService>();
        inner.Setup(s => s.ReleaseTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).Returns(Task.CompletedTask);
        inner.Setup(s => s.AbandonTaskOrchestrationWorkItemAsync(It.IsAny<TaskOrchestrationWorkItem>())).Returns(Task.CompletedTask);
        inner.Setup(s => s.AbandonTaskActivityWorkItemAsync(It.IsAny<TaskActivityWorkItem>())).Returns(Task.CompletedTask);
        return inner;
    }

    /// <summary>What Azure Storage's fetch does when nothing arrives: waits, and answers null once the service stops.</summary>
    public static async Task<T> UntilCancelled<T>(CancellationToken cancellationToken)
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

    /// <summary>The parts wired as <see cref="DurableSidecarHostedService"/> wires them.</summary>
    public sealed class Wiring : IDisposable
    {
        public Wiring(IOrchestrationService inner, int maxActivities = 10, int activityFetchers = 1)
        {
            Returns = new WorkItemReturns(inner, NullLogger.Instance);
            Service = new TrackingOrchestrationService(inner, maxActivities, 10, Signals, InFlight, Returns, activityFetchers);
        }

        public ShutdownSignals Signals { get; } = new();

        public InFlightWorkItems InFlight { get; } = new();

        public WorkItemReturns Returns { get; }

        public TrackingOrchestrationService Service { get; }

        /// <summary>The stop steps of the hosted service that concern the wrapper, in its order.</summary>
        public async Task StopAsync()
        {
            Signals.StopAll();
            await Signals.StopFetchingAsync();
            await Service.DetachFetchesAsync(CancellationToken.None).WaitAsync(Patience);
            await InFlight.GiveBackAllAsync(Returns);
        }

        public void Dispose()
        {
            Service.Dispose();
            Signals.Dispose();
        }
    }
}
