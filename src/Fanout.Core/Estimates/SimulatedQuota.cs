namespace Fanout.Core.Estimates;

/// <summary>
/// The quota of the built-in simulator, registered by the portable host when it started the simulator as the LLM
/// (<c>Fanout:Simulator:TokensPerMinute</c>, per deployment like Azure's): what an estimate counts on when no pool
/// member gives a quota. Absent when the LLM is a real endpoint.
/// </summary>
/// <param name="TokensPerMinute">Tokens admitted per deployment per minute.</param>
public sealed record SimulatedQuota(long TokensPerMinute);
