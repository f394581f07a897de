namespace Fanout.Core.Estimates;

/// <summary>The answer of a dry run (<c>POST /api/batches?dryRun=true</c>), as API.md gives it.</summary>
/// <param name="Lines">Lines in the input, as a submit would count them.</param>
/// <param name="Invalid">Lines a submit would reject with a per-line error.</param>
/// <param name="LineErrors">The first <see cref="BatchEstimator.MaxLineErrors"/> per-line errors, in input order.</param>
/// <param name="PromptTokens">Prompt tokens of the valid lines, counted with each model's tokenizer.</param>
/// <param name="MaxCompletionTokens">The output bound of the valid lines (<c>max_completion_tokens</c> or <c>max_tokens</c>, times <c>n</c>).</param>
/// <param name="EstimatedCost">Cost bounds; null when a model of the batch has no configured price.</param>
/// <param name="EstimatedSecondsAtQuota">(prompt + output bound) / tokens per minute, the slowest model; null without a configured quota.</param>
/// <param name="Plans">The ways to run it: <c>live</c>, and <c>deadline</c> (the Batch API by the deadline) when the batch has a deadline and its pool a <c>batch</c> member.</param>
/// <param name="CachedLines">
/// With <c>cache</c> on: valid lines that would be answered without a call (a fresh entry in the response cache, or a
/// copy of an earlier line of the batch). Tokens, cost and time count only the other lines.
/// </param>
public sealed record BatchEstimate(
    int Lines,
    int Invalid,
    IReadOnlyList<EstimateLineError> LineErrors,
    long PromptTokens,
    long MaxCompletionTokens,
    EstimatedCost? EstimatedCost,
    double? EstimatedSecondsAtQuota,
    IReadOnlyList<EstimatePlan>? Plans = null,
    int CachedLines = 0)
{
    /// <summary>Always "batch_estimate".</summary>
    public string Object => "batch_estimate";
}
