using Fanout.Core.Models;

namespace Fanout.Core.Llm.Pool;

/// <summary>One call the router sent to a member, as it is counted in <c>usage_by_deployment</c>.</summary>
/// <param name="Member">The member's name (<see cref="PoolMember.Name"/>, or the deployment of the single endpoint).</param>
/// <param name="Status">HTTP status; 0 for a timeout or a refused connection.</param>
/// <param name="PromptTokens">Prompt tokens of a 2xx answer.</param>
/// <param name="CompletionTokens">Completion tokens of a 2xx answer.</param>
/// <param name="Tier">The member's <see cref="PoolTier"/>.</param>
/// <param name="Model">The model (pool) the member serves.</param>
public sealed record MemberCall(string Member, int Status, int PromptTokens = 0, int CompletionTokens = 0, string Tier = PoolTier.Standard, string? Model = null)
{
    /// <summary>The calls of one line, summed per member.</summary>
    public static IReadOnlyDictionary<string, DeploymentUsage>? Sum(IReadOnlyList<MemberCall>? calls)
    {
        if (calls is null or { Count: 0 })
        {
            return null;
        }

        var sum = new SortedDictionary<string, DeploymentUsage>(StringComparer.Ordinal);
        foreach (var call in calls)
        {
            var usage = new DeploymentUsage(
                1, call.PromptTokens, call.CompletionTokens, call.Status == 429 ? 1 : 0, call.Status is 0 or 408 or >= 500 ? 1 : 0,
                call.Tier, call.Model, call.Status is >= 200 and < 300 ? 1 : 0);
            sum[call.Member] = sum.TryGetValue(call.Member, out var had) ? had.Add(usage) : usage;
        }

        return sum;
    }
}
