namespace Fanout.Core.Planning;

/// <summary>What <see cref="DeadlinePlanner"/> decides from: the batch's deadline and unfinished lines, and its pool.</summary>
/// <param name="Deadline">The batch's deadline; null = none (every line live).</param>
/// <param name="HasBatchMember">The pool has a <c>batch</c> member.</param>
/// <param name="UnfinishedLines">Lines with no result yet.</param>
/// <param name="TokensPerLine">Estimated tokens one line takes from the quota (prompt + output bound, or as observed).</param>
/// <param name="LiveTokensPerMinute">The live (provisioned + standard) members' token quota per minute; null when not known.</param>
/// <param name="LiveRequestsPerMinute">Their request quota per minute; null when not known.</param>
/// <param name="ObservedLinesPerSecond">The live rate observed so far; null or 0 when none yet.</param>
/// <param name="UpstreamRunning">An upstream batch holds (some of) the unfinished lines.</param>
public sealed record PlannerInput(
    DateTimeOffset? Deadline,
    bool HasBatchMember,
    int UnfinishedLines,
    double TokensPerLine,
    long? LiveTokensPerMinute,
    int? LiveRequestsPerMinute,
    double? ObservedLinesPerSecond = null,
    bool UpstreamRunning = false);
