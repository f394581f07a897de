namespace Fanout.Core.Models;

/// <summary>What one pool member did for a batch (<c>usage_by_deployment</c> of the batch object).</summary>
/// <param name="Calls">Calls sent to it.</param>
/// <param name="PromptTokens">Prompt tokens of its answers.</param>
/// <param name="CompletionTokens">Completion tokens of its answers.</param>
/// <param name="RateLimited">Its 429 answers.</param>
/// <param name="Failures">Its failed attempts that were not 429s: other 4xx, 5xx, timeouts and refused connections.</param>
/// <param name="Tier">Its pool tier (<c>provisioned</c>, <c>standard</c>, <c>batch</c>); null in counts saved before tiers (standard).</param>
/// <param name="Model">The model (pool) it served, whose price its tokens cost; null = its own name.</param>
/// <param name="Lines">Lines it answered (its successful attempts).</param>
/// <param name="FailuresByKind">The same failures by kind (<c>failures_by_kind</c>); null = none.</param>
public sealed record DeploymentUsage(
    long Calls = 0, long PromptTokens = 0, long CompletionTokens = 0, long RateLimited = 0, long Failures = 0, string? Tier = null, string? Model = null, long Lines = 0,
    Attempts.FailureKinds? FailuresByKind = null)
{
    /// <summary>The failures by kind, never null in the batch object.</summary>
    public Attempts.FailureKinds? FailuresByKind { get; init; } = FailuresByKind ?? Attempts.FailureKinds.None;

    /// <summary>Prompt + completion tokens.</summary>
    public long TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>Sum of two usages.</summary>
    public DeploymentUsage Add(DeploymentUsage o) => new(
        Calls + o.Calls, PromptTokens + o.PromptTokens, CompletionTokens + o.CompletionTokens, RateLimited + o.RateLimited, Failures + o.Failures,
        Tier ?? o.Tier, Model ?? o.Model, Lines + o.Lines, (FailuresByKind ?? Attempts.FailureKinds.None).Add(o.FailuresByKind));

    /// <summary>The per-member sum of two maps; null when both are.</summary>
    public static IReadOnlyDictionary<string, DeploymentUsage>? Merge(IReadOnlyDictionary<string, DeploymentUsage>? a, IReadOnlyDictionary<string, DeploymentUsage>? b)
    {
        if (a is null or { Count: 0 })
        {
            return b is null or { Count: 0 } ? a ?? b : b;
        }

        if (b is null or { Count: 0 })
        {
            return a;
        }

        var sum = new SortedDictionary<string, DeploymentUsage>(StringComparer.Ordinal);
        foreach (var (name, usage) in a)
        {
            sum[name] = usage;
        }

        foreach (var (name, usage) in b)
        {
            sum[name] = sum.TryGetValue(name, out var had) ? had.Add(usage) : usage;
        }

        return sum;
    }
}
