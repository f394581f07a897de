namespace Fanout.Core.Llm.Pool;

/// <summary>The router's view of one member.</summary>
/// <param name="Name">The member.</param>
/// <param name="Available">Whether it may be used now.</param>
/// <param name="InFlight">Calls in flight to it.</param>
/// <param name="Headroom">Quota left (in tokens) as estimated; null when not known.</param>
/// <param name="Failures">Failures in a row.</param>
/// <param name="Sent">Calls sent to it so far.</param>
public sealed record MemberSnapshot(string Name, bool Available, int InFlight, double? Headroom, int Failures, long Sent = 0);
