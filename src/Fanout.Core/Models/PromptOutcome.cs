namespace Fanout.Core.Models;

/// <summary>What one prompt activity reports back: small, counts only.</summary>
/// <param name="Index">The line.</param>
/// <param name="Succeeded">The model answered 2xx.</param>
/// <param name="ErrorCode">The error line's code, when one was written.</param>
/// <param name="PromptTokens">Prompt tokens of the answer.</param>
/// <param name="CompletionTokens">Completion tokens of the answer.</param>
/// <param name="RetryAfterMs">When positive, nothing was written and the line should run again after this wait.</param>
/// <param name="Throttled">The outcome was a 429 (from the service, or from the deployment's closed throttle gate).</param>
/// <param name="Deferred">
/// The call was not sent because this process's throttle gate for the deployment was closed by an earlier 429: the wait
/// is honoured like a 429's, but it is not a new congestion signal (the 429 that closed the gate was one already).
/// </param>
/// <param name="ByDeployment">The calls this attempt made, per pool member; null when none were made.</param>
/// <param name="InvalidOutputs">Answers this attempt rejected as invalid against the line's format (each was asked again or failed the line).</param>
/// <param name="Cached">Answered from the response cache or a twin line: no call, no tokens spent by this batch.</param>
public sealed record PromptOutcome(
    int Index,
    bool Succeeded,
    string? ErrorCode = null,
    int PromptTokens = 0,
    int CompletionTokens = 0,
    int RetryAfterMs = 0,
    bool Throttled = false,
    bool Deferred = false,
    IReadOnlyDictionary<string, DeploymentUsage>? ByDeployment = null,
    int InvalidOutputs = 0,
    bool Cached = false)
{
    /// <summary>True when the activity wrote nothing and asks to be run again after <see cref="RetryAfterMs"/>.</summary>
    public bool WantsRetry => RetryAfterMs > 0;
}
