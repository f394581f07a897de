namespace Fanout.Host.Durable;

/// <summary>What runs our orchestrators and activities against the orchestration service.</summary>
public enum DurableDispatchKind
{
    /// <summary>
    /// The Durable Task worker over gRPC to the in-process sidecar, whose dispatchers go through
    /// <see cref="TrackingOrchestrationService"/> (parallel activity fetches, lock renewal, sessions, two-phase drain,
    /// poison bound). The default.
    /// </summary>
    Sidecar,

    /// <summary>
    /// Spike: DurableTask.Core's own <c>TaskHubWorker</c> directly on the orchestration service, through the public
    /// <c>DurableTaskShimFactory</c>; the sidecar only serves the client. No two-phase drain, no poison bound, one
    /// activity fetch at a time (README: "TaskHubWorker instead of the sidecar?").
    /// </summary>
    TaskHubWorker,
}
