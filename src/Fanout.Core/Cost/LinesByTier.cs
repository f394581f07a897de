using Fanout.Core.Llm.Pool;
using Fanout.Core.Models;

namespace Fanout.Core.Cost;

/// <summary>How many lines each tier answered (<c>lines_by_tier</c> of the batch object).</summary>
/// <param name="Provisioned">Lines a provisioned member answered.</param>
/// <param name="Standard">Lines a standard (pay-as-you-go) member answered.</param>
/// <param name="Batch">Lines the Batch API answered.</param>
/// <param name="Cached">Lines answered from the cache, with no model call.</param>
public sealed record LinesByTier(long Provisioned = 0, long Standard = 0, long Batch = 0, long Cached = 0)
{
    /// <summary>The answered lines of <paramref name="usage"/> by the tier of the member that answered each.</summary>
    public static LinesByTier Of(IReadOnlyDictionary<string, DeploymentUsage>? usage, long cached = 0)
    {
        long provisioned = 0, standard = 0, batch = 0;
        foreach (var u in (usage ?? new Dictionary<string, DeploymentUsage>()).Values)
        {
            switch (u.Tier ?? PoolTier.Standard)
            {
                case PoolTier.Provisioned: provisioned += u.Lines; break;
                case PoolTier.Batch: batch += u.Lines; break;
                default: standard += u.Lines; break;
            }
        }

        return new LinesByTier(provisioned, standard, batch, cached);
    }
}
