namespace Fanout.Core.Llm.Pool;

/// <summary>A pool member with the invoker that calls it and the throttle gate in that invoker's pipeline.</summary>
/// <param name="Member">The member.</param>
/// <param name="Invoker">Calls the member's endpoint (the deployment name is passed per call).</param>
/// <param name="Gate">The member's throttle gate, whose closed state the router honours; null when it has none.</param>
public sealed record PoolConnection(PoolMember Member, IChatCompletionInvoker Invoker, DeploymentThrottleGate? Gate = null);
