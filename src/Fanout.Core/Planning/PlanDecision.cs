namespace Fanout.Core.Planning;

/// <summary>A decision of <see cref="DeadlinePlanner"/>: small, serializable, the same for the same input (replayable).</summary>
/// <param name="Action">What to do now.</param>
/// <param name="LiveSeconds">Seconds the unfinished lines need live at the live members' quota, margin included; null when not known.</param>
/// <param name="PullBackAt">When an upstream batch must be pulled back at the latest (deadline − <paramref name="LiveSeconds"/>); null without a deadline or a known need.</param>
/// <param name="NextCheckAt">When to ask again while waiting on an upstream batch; null otherwise.</param>
public sealed record PlanDecision(PlanAction Action, double? LiveSeconds, DateTimeOffset? PullBackAt, DateTimeOffset? NextCheckAt);
