namespace Fanout.Core.Models;

/// <summary>Counters shared by chunk and batch results.</summary>
/// <param name="Completed">Lines answered.</param>
/// <param name="Failed">Lines failed.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Throttled">Outcomes that were 429s.</param>
/// <param name="Retries">Durable retries.</param>
/// <param name="ByDeployment">Calls, tokens and 429s per pool member, as the orchestrations counted them (<c>usage_by_deployment</c>).</param>
/// <param name="InvalidOutputs">Answers rejected as invalid against their line's format (<c>progress.invalid_outputs</c>).</param>
/// <param name="Cached">Lines answered from the response cache or a twin (also counted in <paramref name="Completed"/>; their tokens are not).</param>
public sealed record BatchCounts(
    int Completed = 0, int Failed = 0, long PromptTokens = 0, long CompletionTokens = 0, int Throttled = 0, int Retries = 0,
    IReadOnlyDictionary<string, DeploymentUsage>? ByDeployment = null, int InvalidOutputs = 0, int Cached = 0)
{
    /// <summary>Adds one outcome.</summary>
    public BatchCounts Add(PromptOutcome o) => o.WantsRetry
        ? this with { Throttled = Throttled + (o.Throttled ? 1 : 0), Retries = Retries + 1, ByDeployment = DeploymentUsage.Merge(ByDeployment, o.ByDeployment), InvalidOutputs = InvalidOutputs + o.InvalidOutputs }
        : this with
        {
            InvalidOutputs = InvalidOutputs + o.InvalidOutputs,
            ByDeployment = DeploymentUsage.Merge(ByDeployment, o.ByDeployment),
            Completed = Completed + (o.Succeeded ? 1 : 0),
            Failed = Failed + (o.Succeeded ? 0 : 1),
            PromptTokens = PromptTokens + o.PromptTokens,
            CompletionTokens = CompletionTokens + o.CompletionTokens,
            Throttled = Throttled + (o.Throttled ? 1 : 0),
            Cached = Cached + (o.Cached ? 1 : 0),
        };

    /// <summary>Sum of two counters.</summary>
    public BatchCounts Add(BatchCounts o) => new(
        Completed + o.Completed, Failed + o.Failed, PromptTokens + o.PromptTokens, CompletionTokens + o.CompletionTokens, Throttled + o.Throttled, Retries + o.Retries,
        DeploymentUsage.Merge(ByDeployment, o.ByDeployment), InvalidOutputs + o.InvalidOutputs, Cached + o.Cached);
}
