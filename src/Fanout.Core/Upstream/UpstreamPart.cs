namespace Fanout.Core.Upstream;

/// <summary>One upstream batch of a Fanout batch: a file of lines sent to one <c>batch</c> pool member.</summary>
/// <param name="Part">Its number (names: <see cref="UpstreamLayout"/>).</param>
/// <param name="Member">The pool member (its name in <c>usage_by_deployment</c>).</param>
/// <param name="Lines">How many lines it holds.</param>
/// <param name="FileId">The uploaded input file; null before the upload.</param>
/// <param name="BatchId">The upstream batch; null until it is created (or while the enqueued-token quota is full).</param>
/// <param name="Status">The upstream status last seen (<c>validating</c>, <c>in_progress</c>, …, <c>completed</c>), or <c>pending</c> before it exists.</param>
/// <param name="Collected">Its output has been read into the batch's result segments.</param>
/// <param name="Answered">Lines it answered (stored as results).</param>
/// <param name="PromptTokens">Prompt tokens of those answers.</param>
/// <param name="CompletionTokens">Completion tokens of those answers.</param>
/// <param name="Failed">Lines it failed or expired (they run live).</param>
public sealed record UpstreamPart(
    int Part,
    string Member,
    int Lines,
    string? FileId = null,
    string? BatchId = null,
    string Status = UpstreamPart.Pending,
    bool Collected = false,
    int Answered = 0,
    long PromptTokens = 0,
    long CompletionTokens = 0,
    int Failed = 0)
{
    /// <summary>The status of a part whose upstream batch does not exist yet.</summary>
    public const string Pending = "pending";

    /// <summary>Whether the upstream batch has ended (completed, failed, expired or cancelled).</summary>
    public bool Ended => IsEnded(Status);

    /// <summary>Whether an upstream batch <paramref name="status"/> is final (completed, failed, expired or cancelled).</summary>
    public static bool IsEnded(string status) => status is "completed" or "failed" or "expired" or "cancelled";
}
