namespace Fanout.Core.Upstream;

/// <summary>What the planner needs to know about a batch before its lines may go to the Batch API (read by an activity).</summary>
/// <param name="Lines">Lines that can go upstream (chat lines whose pool has a <c>batch</c> member); 0 = none.</param>
/// <param name="TokensPerLine">Estimated quota tokens per line (prompt bytes / 4 + the line's output bound).</param>
/// <param name="LiveTokensPerMinute">The live members' token quota per minute; null when none is configured.</param>
/// <param name="LiveRequestsPerMinute">Their request quota per minute; null when none is configured.</param>
/// <param name="Margin">The share added to the live need (<c>Fanout:Cost:DeadlineMargin</c>).</param>
/// <param name="PollSeconds">Seconds between two looks at the upstream batches (<c>Fanout:Cost:UpstreamPollSeconds</c>).</param>
/// <param name="Reason">Why nothing goes upstream, when <paramref name="Lines"/> is 0.</param>
public sealed record UpstreamPlan(
    int Lines, double TokensPerLine, long? LiveTokensPerMinute, int? LiveRequestsPerMinute, double Margin, double PollSeconds, string? Reason = null);
