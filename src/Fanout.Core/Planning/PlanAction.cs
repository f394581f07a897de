namespace Fanout.Core.Planning;

/// <summary>What <see cref="DeadlinePlanner"/> tells the orchestrator to do with a batch's unfinished lines.</summary>
public enum PlanAction
{
    /// <summary>Run them live (no deadline, no batch member, or no time for the Batch API).</summary>
    RunLive,

    /// <summary>Send them to the Batch API: there is time for it and it costs less.</summary>
    Offload,

    /// <summary>An upstream batch runs and there is still time: wait (a durable timer) until <see cref="PlanDecision.NextCheckAt"/>.</summary>
    WaitUpstream,

    /// <summary>The time left no longer covers what the unfinished lines need live: cancel upstream, keep what it finished, run the rest live.</summary>
    PullBack,
}
